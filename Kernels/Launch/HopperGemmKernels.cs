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
/// walking 128×128 tiles of C: ⌈M/128⌉ · ⌈N/128⌉ · batch of them.
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
    public static bool Chosen(DeviceInfo device) => OptedIn && Supports(device);

    /// <summary>Whether <paramref name="device"/> runs the kernels (compute capability 9.x); they take every layout.</summary>
    public static bool Supports(DeviceInfo device) => device.ComputeCapabilityMajor == 9;

    /// <summary>
    /// C = α·op(A)·op(B) + β·C (+ epilogue; aux laid out like C) per batch, op(A) M×K and op(B) K×N as <see cref="GemmKernels.Tf32(ICudaDevice, bool, bool, int, int, int, int, float, DevicePtr, DevicePtr, float, DevicePtr, bool, DevicePtr, GemmEpilogue, DevicePtr, CudaStream?, GemmTf32Tile)"/>;
    /// A, B must satisfy <see cref="GemmKernels.SupportsTf32"/> (16-byte aligned rows) and the device must be compute capability 9.x.
    /// </summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
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
        int blocks = (int)Math.Min(tiles, dev.Info.MultiprocessorCount);   // persistent: one block per SM walks the tiles
        dev.Launch(function, blocks, Threads, sharedBytes, stream,
            new KernelArgs().TensorMap(mapA).TensorMap(mapB).I32(m).I32(n).I32(k).I32(batch).F32(alpha).I32(itemsA).I32(itemsB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).Ptr(aux).I32((int)epilogue));
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
