using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's TF32 GEMM: warpgroup <c>wgmma.mma_async</c> with both operands in 128-byte-swizzled shared memory,
/// loaded by the Tensor Memory Accelerator (one producer warp issuing tensor copies) into a ring of full/empty
/// mbarriers that two consumer warpgroups drain. A and B reach the kernel as tensor maps
/// (<see cref="ICudaDevice.EncodeTiledTensorMap"/>), encoded per call. C = α·op(A)·op(B) + β·C (+ epilogue),
/// every layout: Kernels/hopper/gemm_wgmma_tf32.cu for "nt" (A M×K and B N×K row-major, a linear layer's X·Wᵀ:
/// both K-major, copied straight into the layout wgmma reads, 4 stages), Kernels/hopper/gemm_wgmma_tf32_transposed.cu
/// for "nn" (dX = dY·W), "tn" (dW = dYᵀ·X) and "tt", whose M- or N-major operands wgmma cannot read in TF32: they
/// are copied as stored and transposed on chip by the consumers (3 stages of twice the bytes).
/// Its PTX targets sm_90a, so it runs on compute capability 9.x only (<see cref="Supports(DeviceInfo)"/>).
/// <see cref="GemmKernels.Run"/> takes it there only when <see cref="OptInVariable"/> is 1 (<see cref="Chosen"/>):
/// the kernels and the software GPU's wgmma were written from the same reading of the PTX ISA, so until the
/// kernels' tests have passed on a Hopper GPU, the proven Ampere kernel stays the default everywhere.
/// 288 threads (two consumer warpgroups and the producer warp) per block, one block per SM (a persistent grid), each
/// walking 128×128 tiles of C: ⌈M/128⌉ · ⌈N/128⌉ · batch of them, each tile's K cut into <see cref="Splits"/> ranges
/// (split-K) when the tiles alone would leave SMs idle; the ranges' partial sums are then added in a fixed order by
/// Kernels/hopper/gemm_splitk_sum.cu.
/// </summary>
public static class HopperGemmKernels
{
    const int TileM = 128, TileN = 128, SliceK = 32, Threads = 2 * 128 + 32;
    const int OperandSliceBytes = 128 * SliceK * sizeof(float);   // one 128×32 slice of A or B: 16 KB

    /// <summary>
    /// Dynamic shared memory of a layout, plus 1 KB so the kernel can start its buffers on the 1024-byte boundary
    /// the 128-byte swizzle needs. "nt": 4 stages of a slice of A and one of B (32 KB): 132,096 B. The transposed
    /// layouts: 3 stages of those two in the K-major layout wgmma reads and two staging slices as stored (64 KB): 197,632 B.
    /// </summary>
    public static int SharedBytes(bool transA, bool transB) =>
        (IsXWTransposed(transA, transB) ? 4 * 2 * OperandSliceBytes : 3 * 4 * OperandSliceBytes) + 1024;

    static bool IsXWTransposed(bool transA, bool transB) => !transA && transB;

    /// <summary>Set to 1 to have <see cref="GemmKernels.Run"/> route its TF32 products to these kernels on compute capability 9.x.</summary>
    public const string OptInVariable = "CUDABERT_HOPPER_GEMM";

    /// <summary>Whether <see cref="OptInVariable"/> is 1 in this process's environment.</summary>
    public static bool OptedIn => Environment.GetEnvironmentVariable(OptInVariable) == "1";

    /// <summary>Whether <see cref="GemmKernels.Run"/> takes these kernels: <see cref="OptedIn"/> and <see cref="Supports(DeviceInfo)"/>.</summary>
    public static bool Chosen(DeviceInfo device) => Supports(device) && OptedIn;   // the device first: the variable is read (per call, so tests may set it) only on 9.x

    /// <summary>Whether <paramref name="device"/> runs the kernels (compute capability 9.x); they take every layout.</summary>
    public static bool Supports(DeviceInfo device) => device.ComputeCapabilityMajor == 9;

    /// <summary>
    /// How many K-ranges (splits) each 128×128 tile of a product is cut into on <paramref name="multiprocessors"/> SMs:
    /// the s in 1 .. <see cref="MaxSplits"/> with the smallest predicted time, in "slice times" (one block's
    /// 128 × 128 × 32 step of the main loop),
    /// <code>
    /// time(s) = ⌈tiles·s / SMs⌉ · ⌈slices / s⌉                      the waves of work units, each ⌈slices / s⌉ long
    ///         + [s > 1] · (PartialCost · tiles·s / SMs + SumLaunchCost)
    /// </code>
    /// The first term is the wave quantisation split-K is for: a wave's efficiency is tiles·s / (⌈tiles·s / SMs⌉·SMs).
    /// The second is its price: each unit writes a 64 KB fp32 partial tile and the sum kernel reads it back, 128 KB or
    /// <see cref="PartialCost"/> = 4 slices' worth of operand bytes (a slice loads 2 · 16 KB), spread over the SMs; and
    /// the sum kernel's launch and tail, <see cref="SumLaunchCost"/> = 8 slice times (≈ 2-3 µs at ≈ 0.3 µs per slice
    /// on an H100). A split must keep <see cref="MinSlicesPerSplit"/> slices (256 of K), so that the ring of stages
    /// fills; ties go to the smaller s. The constants are estimates, not measurements (the kernels are not yet timed on
    /// a Hopper GPU). BERT-base, 4096 tokens (B = 32, S = 128), on 132 SMs:
    /// <code>
    /// product                               M × N × K            tiles  s   time s=1 → chosen
    /// Q, K, V, attn out X·Wᵀ and their dX     4096 × 768 × 768     192    1   48 (s = 2: 55.6)
    /// FFN up X·Wᵀ, FFN down's dX              4096 × 3072 × 768    768    1   144
    /// FFN down X·Wᵀ, FFN up's dX              4096 × 768 × 3072    192    2   192 → 163.6
    /// dW of FFN up (3072 × 768), FFN down     768 × 3072 × 4096    144    4   256 → 185.5
    /// dW of Q, K, V, attn out                 768 × 768 × 4096     36     7   128 → 53.6
    /// </code>
    /// </summary>
    public static int Splits(int batch, int m, int n, int k, int multiprocessors)
    {
        long tiles = (long)Launcher.CeilDiv(m, TileM) * Launcher.CeilDiv(n, TileN) * batch;
        int slices = CeilDiv(k, SliceK);
        int best = 1;
        double bestTime = PredictedSliceTimes(tiles, slices, 1, multiprocessors);
        for (int s = 2; s <= MaxSplits; s++)
        {
            int perSplit = CeilDiv(slices, s);
            if (perSplit < MinSlicesPerSplit || CeilDiv(slices, perSplit) != s) continue;   // too short, or a split left empty
            double time = PredictedSliceTimes(tiles, slices, s, multiprocessors);
            if (time < bestTime) (best, bestTime) = (s, time);
        }
        return best;
    }

    /// <summary>The cost model of <see cref="Splits"/>: the predicted time of <paramref name="splits"/> ranges, in slice times.</summary>
    public static double PredictedSliceTimes(long tiles, int slices, int splits, int multiprocessors)
    {
        long units = tiles * splits;
        double time = (double)((units + multiprocessors - 1) / multiprocessors) * CeilDiv(slices, splits);
        return splits == 1 ? time : time + PartialCost * units / multiprocessors + SumLaunchCost;
    }

    static int CeilDiv(int a, int b) => (a + b - 1) / b;

    /// <summary>The most K-ranges per tile <see cref="Splits"/> considers.</summary>
    public const int MaxSplits = 8;
    /// <summary>The fewest K slices (of 32) a range may have.</summary>
    public const int MinSlicesPerSplit = 8;
    /// <summary>A unit's partial tile written and read back, in slice times: 128 KB against a slice's 32 KB of operands.</summary>
    public const double PartialCost = 4;
    /// <summary>The sum kernel's launch and tail, in slice times.</summary>
    public const double SumLaunchCost = 8;

    /// <summary>
    /// The workspace <see cref="Tf32"/> needs for the partial sums of a product on <paramref name="device"/> (0 when it
    /// does not split K): splits · batch · M · N floats.
    /// </summary>
    public static long WorkspaceBytes(DeviceInfo device, int batch, int m, int n, int k)
    {
        int splits = Splits(batch, m, n, k, device.MultiprocessorCount);
        return splits == 1 ? 0 : (long)splits * batch * m * n * sizeof(float);
    }

    /// <summary>
    /// C = α·op(A)·op(B) + β·C (+ epilogue; aux laid out like C) per batch, op(A) M×K and op(B) K×N as <see cref="GemmKernels.Tf32(ICudaDevice, bool, bool, int, int, int, int, float, DevicePtr, DevicePtr, float, DevicePtr, bool, DevicePtr, GemmEpilogue, DevicePtr, CudaStream?, GemmTf32Tile)"/>;
    /// A, B must satisfy <see cref="GemmKernels.SupportsTf32"/> (16-byte aligned rows) and the device must be compute capability 9.x.
    /// <paramref name="workspace"/>: device memory of <paramref name="workspaceBytes"/> for split-K's partial sums, at least
    /// <see cref="WorkspaceBytes"/>; without it (or when it is too small) every tile runs over all of K in one block.
    /// <paramref name="splits"/> overrides the cost model's choice (0: <see cref="Splits"/>); it is clamped so that no
    /// range is empty.
    /// </summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null,
        DevicePtr workspace = default, long workspaceBytes = 0, int splits = 0)
    {
        string kernel = $"gemm_wgmma_tf32_{(transA ? 't' : 'n')}{(transB ? 't' : 'n')}";
        Launcher.Positive(batch, kernel);
        Launcher.Positive(m, kernel);
        Launcher.Positive(n, kernel);
        Launcher.Positive(k, kernel);
        GemmKernels.CheckEpilogue(kernel, beta, bias, epilogue, aux);
        if (dev.Info.ComputeCapabilityMajor != 9)
            throw new NotSupportedException($"{kernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use GemmKernels.Tf32.");
        if (!GemmKernels.SupportsTf32(a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 4; use the SIMT kernel.");
        long tiles = (long)Launcher.CeilDiv(m, TileM) * Launcher.CeilDiv(n, TileN) * batch;
        if (tiles > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: {batch} items of {m} × {n} are {tiles} tiles of {TileM} × {TileN}, more than the kernel counts ({int.MaxValue}).");
        var function = Launcher.GetHopper(dev, IsXWTransposed(transA, transB) ? "gemm_wgmma_tf32" : "gemm_wgmma_tf32_transposed", kernel);
        int sharedBytes = SharedBytes(transA, transB);
        dev.SetMaxDynamicSharedBytes(function, sharedBytes);
        int itemsA = strideA == 0 ? 1 : batch, itemsB = strideB == 0 ? 1 : batch;
        var mapA = transA ? MajorMap(dev, a, m, k, lda, strideA, itemsA) : KMajorMap(dev, a, m, k, lda, strideA, itemsA);
        var mapB = transB ? KMajorMap(dev, b, n, k, ldb, strideB, itemsB) : MajorMap(dev, b, n, k, ldb, strideB, itemsB);
        if (splits < 0) throw new ArgumentOutOfRangeException(nameof(splits), splits, $"{kernel}: splits must be 0 (the cost model's) or positive.");
        if (splits == 0) splits = Splits(batch, m, n, k, dev.Info.MultiprocessorCount);
        int slices = CeilDiv(k, SliceK);
        splits = CeilDiv(slices, CeilDiv(slices, Math.Min(splits, slices)));   // no empty range
        long partialBytes = (long)splits * batch * m * n * sizeof(float);
        if (splits > 1 && (workspace.IsNull || workspaceBytes < partialBytes)) splits = 1;
        if (tiles * splits > int.MaxValue) splits = 1;   // the kernel counts work units in an int
        int blocks = (int)Math.Min(tiles * splits, dev.Info.MultiprocessorCount);   // persistent: one block per SM walks the work units
        dev.Launch(function, blocks, Threads, sharedBytes, stream,
            new KernelArgs().TensorMap(mapA).TensorMap(mapB).I32(m).I32(n).I32(k).I32(batch).F32(alpha).I32(itemsA).I32(itemsB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).Ptr(aux).I32((int)epilogue).I32(splits).Ptr(splits > 1 ? workspace : default));
        if (splits == 1) return;
        long elements = (long)batch * m * n;
        dev.Launch(Launcher.GetHopper(dev, "gemm_splitk_sum", "gemm_splitk_sum"), Launcher.GridStrideBlocks(dev, elements), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(splits).I32(m).I32(n).I32(batch).F32(alpha).F32(beta)
                .Ptr(c).I32(ldc).I64(strideC).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }

    /// <summary>
    /// The tensor map of a K-major operand, stored rows × k row-major with leading dimension <paramref name="ld"/>,
    /// <paramref name="items"/> batch items <paramref name="stride"/> floats apart (one item when the stride is 0: every
    /// batch item reads it): dimensions (k, rows, items) innermost first, a box of 32 floats of K by 128 rows, the
    /// 128-byte swizzle wgmma reads.
    /// </summary>
    static TensorMap KMajorMap(ICudaDevice dev, DevicePtr matrix, int rows, int k, int ld, long stride, int items)
    {
        ulong rowBytes = (ulong)ld * sizeof(float);
        ulong itemBytes = stride == 0 ? rowBytes * (ulong)rows : (ulong)stride * sizeof(float);
        return dev.EncodeTiledTensorMap(TensorMapDataType.Float32, matrix, [(ulong)k, (ulong)rows, (ulong)items], [rowBytes, itemBytes],
            [SliceK, TileM, 1], [1, 1, 1], TensorMapSwizzle.Bytes128, TensorMapL2Promotion.Bytes128);
    }

    /// <summary>
    /// The tensor map of an M- or N-major operand, stored k × <paramref name="columns"/> row-major (as the K-major map
    /// otherwise): dimensions (columns, k, items) innermost first, a box of 128 columns by 32 rows of K, unswizzled — the
    /// staging layout the transposed kernels' consumers read (gemm_wgmma_tf32_transposed.cu).
    /// </summary>
    static TensorMap MajorMap(ICudaDevice dev, DevicePtr matrix, int columns, int k, int ld, long stride, int items)
    {
        ulong rowBytes = (ulong)ld * sizeof(float);
        ulong itemBytes = stride == 0 ? rowBytes * (ulong)k : (ulong)stride * sizeof(float);
        return dev.EncodeTiledTensorMap(TensorMapDataType.Float32, matrix, [(ulong)columns, (ulong)k, (ulong)items], [rowBytes, itemBytes],
            [TileM, SliceK, 1], [1, 1, 1], TensorMapSwizzle.None, TensorMapL2Promotion.Bytes128);
    }

    /// <summary>Which tensor-core GEMM <see cref="GemmKernels.Run"/> uses on <paramref name="device"/>, in words (for <c>cudabert info</c> and <c>bench kernels</c>).</summary>
    public static string TensorCorePath(DeviceInfo device) => device.ComputeCapabilityMajor != 9
        ? "mma.sync, Kernels/bert/gemm_tf32.cu (the wgmma kernel needs compute capability 9.x)"
        : OptedIn
            ? $"wgmma, Kernels/hopper/gemm_wgmma_tf32.cu for X·Wᵀ and gemm_wgmma_tf32_transposed.cu for the other layouts (sm_90a, {OptInVariable}=1)"
            : $"mma.sync, Kernels/bert/gemm_tf32.cu (set {OptInVariable}=1 for the wgmma kernels Kernels/hopper/gemm_wgmma_tf32.cu and gemm_wgmma_tf32_transposed.cu, not yet checked on a Hopper GPU)";
}
