using System.Runtime.InteropServices;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/multi_tensor_optimizer.cu: the global gradient norm with clipping, and AdamW, over a
/// list of tensors in a fixed number of launches (one table of tensors uploaded per call, then
/// Σ ⌈n / <see cref="Chunk"/>⌉ blocks, each in charge of one chunk of one tensor). Nothing is read
/// back: the norm and the clip factor stay in device memory.
/// </summary>
public static class MultiTensorOptimizerKernels
{
    /// <summary>Elements each block handles (256 threads × 16); the .cu's CHUNK.</summary>
    public const int Chunk = 4096;

    /// <summary>
    /// One parameter of a multi-tensor AdamW step: its four buffers of <paramref name="N"/> float32 and its own update's scalars;
    /// <paramref name="ParamBFloat16"/>, when not null, N bfloat16 that receive the updated parameter rounded to nearest even.
    /// </summary>
    public readonly record struct AdamWTensor(DevicePtr Param, DevicePtr Grad, DevicePtr ExpAvg, DevicePtr ExpAvgSq, long N,
        double LearningRate, double Beta1, double Beta2, double Eps, double WeightDecay, long Step, DevicePtr ParamBFloat16 = default);

    // The kernels' table entries, field for field (struct TensorChunks and struct AdamWTensor of the .cu).
    [StructLayout(LayoutKind.Sequential)]
    readonly record struct ChunksEntry(ulong Data, long N, long FirstBlock);

    [StructLayout(LayoutKind.Sequential)]
    readonly record struct AdamWEntry(ulong Param, ulong Grad, ulong ExpAvg, ulong ExpAvgSq, ulong ParamBFloat16, long N, long FirstBlock,
        float Decay, float Beta1, float OneMinusBeta1, float Beta2, float OneMinusBeta2, float StepSize, float BiasCorrection2Sqrt, float Eps);

    /// <summary>Scratch bytes <see cref="ClipGradNorm"/> needs for tensors of these sizes: the table, one double partial per block, the clip factor.</summary>
    public static long ClipGradNormWorkspaceBytes(ReadOnlySpan<long> sizes) =>
        TableBytes<ChunksEntry>(sizes.Length) + Blocks(sizes) * sizeof(double) + sizeof(float);

    /// <summary>Scratch bytes <see cref="AdamW(ICudaDevice, ReadOnlySpan{AdamWTensor}, DevicePtr, CudaStream?)"/> needs for <paramref name="count"/> tensors: the table.</summary>
    public static long AdamWWorkspaceBytes(int count) => TableBytes<AdamWEntry>(count);

    /// <summary>
    /// norm (a device double) = √(Σ over every tensor of Σ x²), accumulated in double; then, when
    /// maxNorm / (norm + 1e-6) &lt; 1, every tensor is multiplied in place by that factor rounded to float
    /// (torch.nn.utils.clip_grad_norm_). Three launches: partial sums per block, their fixed-order sum
    /// with the factor, the scaling (whose blocks return at once when there is nothing to clip).
    /// Empty tensors are skipped; at least one must have elements.
    /// </summary>
    public static void ClipGradNorm(ICudaDevice dev, ReadOnlySpan<DevicePtr> tensors, ReadOnlySpan<long> sizes, double maxNorm,
        DevicePtr norm, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "multi_tensor_sum_of_squares_f32";
        if (tensors.Length != sizes.Length) throw new ArgumentException($"{kernel}: {tensors.Length} tensors but {sizes.Length} sizes");
        Launcher.NotNull(norm, kernel);
        Launcher.NotNull(workspace, kernel);
        var table = new List<ChunksEntry>(tensors.Length);
        long blocks = 0;
        for (int i = 0; i < tensors.Length; i++)
        {
            if (sizes[i] == 0) continue;
            table.Add(new ChunksEntry(tensors[i].Address, sizes[i], blocks));
            blocks += Launcher.CeilDiv(sizes[i], Chunk);
        }
        Launcher.Positive(blocks, kernel);
        DevicePtr partials = workspace.Offset(TableBytes<ChunksEntry>(tensors.Length));
        DevicePtr clipScale = partials.Offset(blocks * sizeof(double));
        dev.CopyToDevice<ChunksEntry>(CollectionsMarshal.AsSpan(table), workspace, stream);
        dev.Launch(Launcher.Get(dev, "multi_tensor_optimizer", kernel), Grid(blocks, kernel), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(table.Count).Ptr(partials));
        dev.Launch(Launcher.Get(dev, "multi_tensor_optimizer", "multi_tensor_norm_finish"), 1, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(partials).I64(blocks).Ptr(norm).F64(maxNorm).Ptr(clipScale));
        dev.Launch(Launcher.Get(dev, "multi_tensor_optimizer", "multi_tensor_scale_f32"), Grid(blocks, kernel), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(table.Count).Ptr(clipScale));
    }

    /// <summary>
    /// One AdamW update (as <see cref="OptimizerKernels.AdamWStep"/>, bit for bit) of every tensor, each
    /// with its own learning rate, weight decay and step count, in one launch. The per-tensor scalars are
    /// computed here in double and rounded to float once; a tensor with a bfloat16 copy gets it written in the same pass. Empty tensors are skipped; at least one must have elements.
    /// </summary>
    public static void AdamW(ICudaDevice dev, ReadOnlySpan<AdamWTensor> tensors, DevicePtr workspace, CudaStream? stream = null)
    {
        var table = AdamWTable(tensors);
        dev.CopyToDevice<byte>(table.Bytes, workspace, stream);
        AdamW(dev, table, workspace, stream);
    }

    /// <summary>The table of an AdamW step and the shape of its launch: what <see cref="AdamW(ICudaDevice, AdamWTableData, DevicePtr, CudaStream?)"/> runs on.</summary>
    /// <param name="Bytes">The entries as the kernel reads them (<see cref="AdamWWorkspaceBytes"/> at most).</param>
    /// <param name="Count">Entries (the tensors with elements).</param>
    /// <param name="Blocks">Blocks of the launch: Σ ⌈n / <see cref="Chunk"/>⌉.</param>
    public sealed record AdamWTableData(byte[] Bytes, int Count, long Blocks);

    /// <summary>
    /// The table of an AdamW step over <paramref name="tensors"/>: per tensor its addresses and its scalars,
    /// computed here in double and rounded to float once. Empty tensors are skipped; at least one must have elements.
    /// </summary>
    public static AdamWTableData AdamWTable(ReadOnlySpan<AdamWTensor> tensors)
    {
        const string kernel = "multi_tensor_adamw_f32";
        var table = new List<AdamWEntry>(tensors.Length);
        long blocks = 0;
        foreach (var t in tensors)
        {
            if (t.N == 0) continue;
            Launcher.Positive(t.Step, kernel);
            table.Add(new AdamWEntry(t.Param.Address, t.Grad.Address, t.ExpAvg.Address, t.ExpAvgSq.Address, t.ParamBFloat16.Address, t.N, blocks,
                (float)(1 - t.LearningRate * t.WeightDecay),
                (float)t.Beta1, (float)(1 - t.Beta1), (float)t.Beta2, (float)(1 - t.Beta2),
                (float)(t.LearningRate / (1 - Math.Pow(t.Beta1, t.Step))),
                (float)Math.Sqrt(1 - Math.Pow(t.Beta2, t.Step)),
                (float)t.Eps));
            blocks += Launcher.CeilDiv(t.N, Chunk);
        }
        Launcher.Positive(blocks, kernel);
        return new AdamWTableData(MemoryMarshal.AsBytes(CollectionsMarshal.AsSpan(table)).ToArray(), table.Count, blocks);
    }

    /// <summary>Launches the AdamW step of <paramref name="table"/>, whose bytes are (or will be, in stream order) at <paramref name="tableOnDevice"/>.</summary>
    public static void AdamW(ICudaDevice dev, AdamWTableData table, DevicePtr tableOnDevice, CudaStream? stream = null)
    {
        const string kernel = "multi_tensor_adamw_f32";
        Launcher.NotNull(tableOnDevice, kernel);
        dev.Launch(Launcher.Get(dev, "multi_tensor_optimizer", kernel), Grid(table.Blocks, kernel), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(tableOnDevice).I32(table.Count));
    }

    static long Blocks(ReadOnlySpan<long> sizes)
    {
        long blocks = 0;
        foreach (long n in sizes) blocks += Launcher.CeilDiv(n, Chunk);
        return blocks;
    }

    /// <summary>A table of <paramref name="count"/> entries, rounded up to 8 bytes so what follows it stays aligned for doubles.</summary>
    static long TableBytes<T>(int count) where T : unmanaged => ((long)count * Marshal.SizeOf<T>() + 7) & ~7L;

    static int Grid(long blocks, string kernel) =>
        blocks <= int.MaxValue ? (int)blocks : throw new ArgumentOutOfRangeException(nameof(blocks), blocks, $"{kernel}: {blocks} blocks exceed a grid's x extent");
}
