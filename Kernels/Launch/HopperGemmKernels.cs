using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's TF32 GEMM, Kernels/hopper/gemm_wgmma_tf32.cu: warpgroup <c>wgmma.mma_async</c> with both
/// operands in 128-byte-swizzled shared memory, loaded by the Tensor Memory Accelerator (one producer warp
/// issuing tensor copies) into a 4-stage ring of full/empty mbarriers that two consumer warpgroups drain.
/// A and B reach the kernel as tensor maps (<see cref="ICudaDevice.EncodeTiledTensorMap"/>), encoded per
/// call. One layout: C = α·A·Bᵀ
/// + β·C (+ epilogue) with A (M×K) and B (N×K) row-major — a linear layer's X·Wᵀ, gemm_tf32.cu's "nt".
/// Its PTX targets sm_90a, so it runs on compute capability 9.x only (<see cref="Supports(DeviceInfo, bool, bool)"/>).
/// <see cref="GemmKernels.Run"/> takes it there only when <see cref="OptInVariable"/> is 1 (<see cref="Chosen"/>):
/// the kernel and the software GPU's wgmma were written from the same reading of the PTX ISA, so until the
/// kernel's tests have passed on a Hopper GPU, the proven Ampere kernel stays the default everywhere.
/// 288 threads (two consumer warpgroups and the producer warp) per block, one block per SM (a persistent grid), each
/// walking 128×128 tiles of C: ⌈M/128⌉ · ⌈N/128⌉ · batch of them.
/// </summary>
public static class HopperGemmKernels
{
    const int TileM = 128, TileN = 128, SliceK = 32, Stages = 4, Threads = 2 * 128 + 32;

    /// <summary>
    /// Dynamic shared memory: per stage a 128×32 slice of A and one of B (32 KB), 4 stages, plus 1 KB so
    /// the kernel can start its buffers on the 1024-byte boundary the 128-byte swizzle needs: 132,096 B.
    /// </summary>
    public static int SharedBytes => Stages * (TileM + TileN) * SliceK * sizeof(float) + 1024;

    /// <summary>Set to 1 to have <see cref="GemmKernels.Run"/> route X·Wᵀ to this kernel on compute capability 9.x.</summary>
    public const string OptInVariable = "CUDABERT_HOPPER_GEMM";

    /// <summary>Whether <see cref="OptInVariable"/> is 1 in this process's environment.</summary>
    public static bool OptedIn => Environment.GetEnvironmentVariable(OptInVariable) == "1";

    /// <summary>Whether <see cref="GemmKernels.Run"/> takes this kernel: <see cref="OptedIn"/> and <see cref="Supports(DeviceInfo, bool, bool)"/>.</summary>
    public static bool Chosen(DeviceInfo device, bool transA, bool transB) => OptedIn && Supports(device, transA, transB);

    /// <summary>Whether <paramref name="device"/> runs the kernel (compute capability 9.x) and the layout is X·Wᵀ.</summary>
    public static bool Supports(DeviceInfo device, bool transA, bool transB) =>
        device.ComputeCapabilityMajor == 9 && !transA && transB;

    /// <summary>
    /// C = α·A·Bᵀ + β·C (+ epilogue) per batch; A, B must satisfy <see cref="GemmKernels.SupportsTf32"/>
    /// (16-byte aligned rows) and the device must be compute capability 9.x.
    /// </summary>
    public static void Tf32(ICudaDevice dev, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        const string kernel = "gemm_wgmma_tf32_nt";
        Launcher.Positive(batch, kernel);
        Launcher.Positive(m, kernel);
        Launcher.Positive(n, kernel);
        Launcher.Positive(k, kernel);
        if (epilogue != GemmEpilogue.None) Launcher.NotNull(bias, kernel);
        if (dev.Info.ComputeCapabilityMajor != 9)
            throw new NotSupportedException($"{kernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use GemmKernels.Tf32.");
        if (!GemmKernels.SupportsTf32(a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 4; use the SIMT kernel.");
        long tiles = (long)Launcher.CeilDiv(m, TileM) * Launcher.CeilDiv(n, TileN) * batch;
        if (tiles > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: {batch} items of {m} × {n} are {tiles} tiles of {TileM} × {TileN}, more than the kernel counts ({int.MaxValue}).");
        var function = Launcher.GetHopper(dev, "gemm_wgmma_tf32", kernel);
        dev.SetMaxDynamicSharedBytes(function, SharedBytes);
        int itemsA = strideA == 0 ? 1 : batch, itemsB = strideB == 0 ? 1 : batch;
        var mapA = OperandMap(dev, a, m, k, lda, strideA, itemsA);
        var mapB = OperandMap(dev, b, n, k, ldb, strideB, itemsB);
        int blocks = (int)Math.Min(tiles, dev.Info.MultiprocessorCount);   // persistent: one block per SM walks the tiles
        dev.Launch(function, blocks, Threads, SharedBytes, stream,
            new KernelArgs().TensorMap(mapA).TensorMap(mapB).I32(m).I32(n).I32(k).I32(batch).F32(alpha).I32(itemsA).I32(itemsB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).I32((int)epilogue));
    }

    /// <summary>
    /// The tensor map of a row-major rows × k operand with leading dimension <paramref name="ld"/>, <paramref name="items"/>
    /// batch items <paramref name="stride"/> floats apart (one item when the stride is 0: every batch item reads it):
    /// dimensions (k, rows, items) innermost first, a box of 32 floats of K by 128 rows, the 128-byte swizzle wgmma reads.
    /// </summary>
    static TensorMap OperandMap(ICudaDevice dev, DevicePtr matrix, int rows, int k, int ld, long stride, int items)
    {
        ulong rowBytes = (ulong)ld * sizeof(float);
        ulong itemBytes = stride == 0 ? rowBytes * (ulong)rows : (ulong)stride * sizeof(float);
        return dev.EncodeTiledTensorMap(TensorMapDataType.Float32, matrix, [(ulong)k, (ulong)rows, (ulong)items], [rowBytes, itemBytes],
            [SliceK, TileM, 1], [1, 1, 1], TensorMapSwizzle.Bytes128, TensorMapL2Promotion.Bytes128);
    }

    /// <summary>Which tensor-core GEMM <see cref="GemmKernels.Run"/> uses on <paramref name="device"/>, in words (for <c>cudabert info</c> and <c>bench kernels</c>).</summary>
    public static string TensorCorePath(DeviceInfo device) => device.ComputeCapabilityMajor != 9
        ? "mma.sync, Kernels/bert/gemm_tf32.cu (the wgmma kernel needs compute capability 9.x)"
        : OptedIn
            ? $"wgmma, Kernels/hopper/gemm_wgmma_tf32.cu (sm_90a), for X·Wᵀ ({OptInVariable}=1); mma.sync, Kernels/bert/gemm_tf32.cu, for the other layouts"
            : $"mma.sync, Kernels/bert/gemm_tf32.cu (set {OptInVariable}=1 for the wgmma kernel Kernels/hopper/gemm_wgmma_tf32.cu, not yet checked on a Hopper GPU)";
}
