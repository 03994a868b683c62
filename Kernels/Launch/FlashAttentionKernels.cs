using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/flash_attention.cu (exact fp32) and Kernels/bert/flash_attention_mma.cu (TF32 or bf16 tensor cores): multi-head attention out = dropout(softmax(Q·Kᵀ·scale + mask))·V
/// without the [B, H, Sq, Sk] probabilities in memory (FlashAttention-2), and its backward.
/// Q, out, dout, dQ are [B, Sq, H·d]; K, V, dK, dV [B, Sk, H·d]; lse and delta [B, H, Sq]; mask [B, Sk] or
/// <see cref="DevicePtr.Null"/>. Dropout keeps probability (b, h, i, j) when the Philox uniform at stream
/// position offset + ((b·H + h)·Sq + i)·Sk + j is ≥ p, as <see cref="DropoutKernels"/> on the probabilities.
/// Launch: grid (⌈Sq/64⌉, B·H) of 64 threads, one query row each (forward and the dQ pass); the dK/dV pass
/// (⌈Sk/64⌉, B·H), one key row each. The tensor-core kernels (<see cref="Precision"/>): the same grids of 128
/// threads, a warp per 16 rows.
/// Head sizes <see cref="HeadSizes"/>.
/// </summary>
public static class FlashAttentionKernels
{
    const int RowsPerBlock = 64;

    /// <summary>How the kernels compute the products Q·Kᵀ and P·V (and the backward's four).</summary>
    public enum Precision
    {
        /// <summary>float32 on the CUDA cores (flash_attention.cu): the exact reference.</summary>
        Fp32,
        /// <summary>
        /// mma.sync TF32 tensor cores (flash_attention_mma.cu): operands rounded to 10 mantissa bits, fp32 accumulation,
        /// softmax and dropout in fp32. Needs 16-byte aligned tensors (<see cref="TensorCoreAligned"/>).
        /// </summary>
        Tf32,
        /// <summary>
        /// mma.sync bf16 tensor cores (flash_attention_mma.cu): the products' operands (Q, K, V, P, dO, dS) rounded to
        /// bfloat16, fp32 accumulation, softmax and dropout in fp32; the tensors stay fp32. Alignment as <see cref="Tf32"/>.
        /// </summary>
        Bf16,
    }

    /// <summary>
    /// Whether the pointers meet the TF32 kernels' alignment: 16 bytes (they copy tiles of K, V, Q and dO as
    /// float4 and store pairs of floats).
    /// </summary>
    public static bool TensorCoreAligned(params ReadOnlySpan<DevicePtr> pointers)
    {
        bool aligned = true;
        foreach (var pointer in pointers) aligned &= pointer.Address % 16 == 0;
        return aligned;
    }

    /// <summary>The head sizes d that have kernels (BERT-base's 64, MiniLM's 32).</summary>
    public static readonly IReadOnlyList<int> HeadSizes = [32, 64];

    /// <summary>Whether there are kernels for heads of <paramref name="headSize"/>.</summary>
    public static bool Supports(int headSize) => HeadSizes.Contains(headSize);

    /// <summary>Sizes and dropout of one call.</summary>
    /// <param name="Batch">B.</param>
    /// <param name="Heads">H.</param>
    /// <param name="Queries">Sq, the rows of Q.</param>
    /// <param name="Keys">Sk, the rows of K and V.</param>
    /// <param name="HeadSize">d; one of <see cref="HeadSizes"/>.</param>
    /// <param name="Scale">Multiplies Q·Kᵀ (1/√d in BERT).</param>
    /// <param name="P">Drop probability in [0, 1]; 0 draws nothing, 1 drops everything (1/(1 − p) = ∞ multiplies no kept element).</param>
    /// <param name="Seed">Philox key of the dropout mask.</param>
    /// <param name="Offset">Stream position of probability (0, 0, 0, 0).</param>
    /// <param name="OffsetShift">Null, or a device ulong the kernels add to <paramref name="Offset"/> (what a CUDA graph's host rewrites between replays).</param>
    public readonly record struct Shape(int Batch, int Heads, int Queries, int Keys, int HeadSize, float Scale, double P = 0, ulong Seed = 0, ulong Offset = 0,
        DevicePtr OffsetShift = default);

    /// <summary>out and lse from q, k, v (and the mask, or <see cref="DevicePtr.Null"/>).</summary>
    public static void Forward(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        Shape shape, CudaStream? stream = null, Precision precision = Precision.Fp32)
    {
        string kernel = Check(shape, "forward", precision);
        Launcher.NotNull(q, kernel); Launcher.NotNull(k, kernel); Launcher.NotNull(v, kernel); Launcher.NotNull(output, kernel); Launcher.NotNull(lse, kernel);
        CheckAligned(kernel, precision, [q, k, v, output]);
        dev.Launch(Launcher.Get(dev, Module(precision), kernel), QueryBlocks(shape), Threads(precision), 0, stream,
            Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(output).Ptr(lse), shape));
    }

    /// <summary>
    /// The forward the CUDA backend runs: <see cref="HopperFlashAttentionKernels.Forward"/> for <see cref="Precision.Bf16"/>
    /// where <see cref="HopperFlashAttentionKernels.Chosen"/> (compute capability 9.x, opted in), else <see cref="Forward"/>.
    /// Either leaves out and lse as <see cref="Backward"/> expects them.
    /// </summary>
    public static void Dispatch(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        Shape shape, CudaStream? stream = null, Precision precision = Precision.Fp32)
    {
        if (precision == Precision.Bf16 && HopperFlashAttentionKernels.Chosen(dev.Info))
            HopperFlashAttentionKernels.Forward(dev, q, k, v, mask, output, lse, shape, stream);
        else
            Forward(dev, q, k, v, mask, output, lse, shape, stream, precision);
    }

    /// <summary>
    /// dq, dk, dv (overwritten) from the forward's inputs, output and lse, and dout. <paramref name="delta"/>
    /// is scratch of B·H·Sq floats (D_i = dout_i·out_i, written by the dQ pass, read by the dK/dV pass).
    /// </summary>
    public static void Backward(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        DevicePtr doutput, DevicePtr delta, DevicePtr dq, DevicePtr dk, DevicePtr dv, Shape shape, CudaStream? stream = null,
        Precision precision = Precision.Fp32)
    {
        string dqKernel = Check(shape, "backward_dq", precision), dkdvKernel = Check(shape, "backward_dkdv", precision);
        foreach (var pointer in (ReadOnlySpan<DevicePtr>)[q, k, v, output, lse, doutput, delta, dq, dk, dv]) Launcher.NotNull(pointer, dqKernel);
        CheckAligned(dqKernel, precision, [q, k, v, output, doutput, dq, dk, dv]);
        string module = Module(precision);
        dev.Launch(Launcher.Get(dev, module, dqKernel), QueryBlocks(shape), Threads(precision), 0, stream,
            Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(output).Ptr(doutput).Ptr(lse).Ptr(delta).Ptr(dq), shape));
        dev.Launch(Launcher.Get(dev, module, dkdvKernel), new Dim3((uint)Launcher.CeilDiv(shape.Keys, RowsPerBlock), (uint)(shape.Batch * shape.Heads)),
            Threads(precision), 0, stream,
            Shared(new KernelArgs().Ptr(q).Ptr(k).Ptr(v).Ptr(mask).Ptr(doutput).Ptr(lse).Ptr(delta).Ptr(dk).Ptr(dv), shape));
    }

    /// <summary>
    /// The backward the CUDA backend runs: <see cref="HopperFlashAttentionKernels.Backward"/> for <see cref="Precision.Bf16"/>
    /// where <see cref="HopperFlashAttentionKernels.Chosen"/> (compute capability 9.x, opted in), else <see cref="Backward"/>.
    /// Either reads the out and lse of either forward <see cref="Dispatch"/> may have taken.
    /// </summary>
    public static void DispatchBackward(ICudaDevice dev, DevicePtr q, DevicePtr k, DevicePtr v, DevicePtr mask, DevicePtr output, DevicePtr lse,
        DevicePtr doutput, DevicePtr delta, DevicePtr dq, DevicePtr dk, DevicePtr dv, Shape shape, CudaStream? stream = null,
        Precision precision = Precision.Fp32)
    {
        if (precision == Precision.Bf16 && HopperFlashAttentionKernels.Chosen(dev.Info))
            HopperFlashAttentionKernels.Backward(dev, q, k, v, mask, output, lse, doutput, delta, dq, dk, dv, shape, stream);
        else
            Backward(dev, q, k, v, mask, output, lse, doutput, delta, dq, dk, dv, shape, stream, precision);
    }

    static string Module(Precision precision) => precision == Precision.Fp32 ? "flash_attention" : "flash_attention_mma";

    static int Threads(Precision precision) => precision == Precision.Fp32 ? RowsPerBlock : 128;

    internal static void CheckAligned(string kernel, Precision precision, ReadOnlySpan<DevicePtr> pointers)
    {
        if (precision == Precision.Fp32 || TensorCoreAligned(pointers)) return;
        var addresses = new List<string>();
        foreach (var pointer in pointers) addresses.Add($"0x{pointer.Address:x}");
        throw new ArgumentException($"{kernel}: every tensor must be 16-byte aligned (q, k, v, ... at {string.Join(", ", addresses)}).");
    }

    static Dim3 QueryBlocks(Shape shape) => new((uint)Launcher.CeilDiv(shape.Queries, RowsPerBlock), (uint)(shape.Batch * shape.Heads));

    // The arguments every kernel takes last: sizes, scale, dropout (p, 1/(1 − p), seed, offset, offset shift).
    internal static KernelArgs Shared(KernelArgs args, Shape shape) =>
        args.I32(shape.Queries).I32(shape.Keys).I32(shape.Heads).F32(shape.Scale).F32((float)shape.P).F32(shape.P > 0 ? (float)(1.0 / (1.0 - shape.P)) : 1f)
            .U32((uint)shape.Seed).U32((uint)(shape.Seed >> 32)).U64(shape.Offset).Ptr(shape.OffsetShift);

    /// <summary>The kernel's name for <paramref name="pass"/>, after checking the sizes.</summary>
    internal static string Check(Shape shape, string pass, Precision precision = Precision.Fp32)
    {
        string suffix = precision switch { Precision.Tf32 => "tf32", Precision.Bf16 => "bf16", _ => "f32" };
        string kernel = $"flash_attention_{pass}_d{shape.HeadSize}_{suffix}";
        if (!Supports(shape.HeadSize))
            throw new ArgumentOutOfRangeException(nameof(shape), shape.HeadSize, $"{kernel}: head size {shape.HeadSize} has no kernel (sizes: {string.Join(", ", HeadSizes)}).");
        Launcher.Positive(shape.Batch, kernel);
        Launcher.Positive(shape.Heads, kernel);
        Launcher.Positive(shape.Queries, kernel);
        Launcher.Positive(shape.Keys, kernel);
        if (!(shape.P >= 0 && shape.P <= 1))
            throw new ArgumentOutOfRangeException(nameof(shape), shape.P, $"{kernel}: the drop probability must be in [0, 1], got {shape.P}.");
        if ((long)shape.Batch * shape.Heads > ushort.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(shape), $"{kernel}: batch × heads = {(long)shape.Batch * shape.Heads} exceeds the grid's y extent {ushort.MaxValue}.");
        return kernel;
    }
}
