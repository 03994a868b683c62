using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's bfloat16 GEMM, Kernels/hopper/gemm_wgmma_bf16.cu: warpgroup <c>wgmma.mma_async</c> (bf16
/// operands, fp32 accumulation) with both operands in 128-byte-swizzled shared memory, loaded by the Tensor
/// Memory Accelerator (one producer warp issuing tensor copies) into a 6-stage ring of full/empty mbarriers
/// that two consumer warpgroups drain — the structure of <see cref="HopperGemmKernels"/>. A and B reach the
/// kernel as tensor maps (<see cref="ICudaDevice.EncodeTiledTensorMap"/>), encoded per call. Every layout of <see cref="GemmBf16Kernels"/> — C = α·op(A)·op(B) + β·C (+ epilogue),
/// C float32 or bfloat16 — with the transposed operands read M/N-major by the tensor cores instead of
/// being transposed on the way in. Its PTX targets sm_90a, so it runs on compute capability 9.x only.
/// The CUDA backend takes it for bfloat16 GEMMs there only when <see cref="HopperGemmKernels.OptInVariable"/>
/// is 1 (<see cref="Chosen"/>), for the reason given at <see cref="HopperGemmKernels"/>: until its tests
/// have passed on a Hopper GPU, the mma.sync kernel stays the default.
/// 288 threads (two consumer warpgroups and the producer warp) per block, one block per SM (a persistent grid),
/// each walking 128×128 tiles of C: ⌈M/128⌉ · ⌈N/128⌉ · batch of them.
/// </summary>
public static class HopperGemmBf16Kernels
{
    const int TileM = 128, TileN = 128, SliceK = 64, Stages = 6, Threads = 2 * 128 + 32;
    const int Panel = 64;   // m or n of an M/N-major box: 64 bfloat16 = 128 bytes, the swizzle span

    /// <summary>
    /// Dynamic shared memory: per stage a 128×64 bfloat16 slice of A and one of B (32 KB), 6 stages, plus 1 KB so
    /// the kernel can start its buffers on the 1024-byte boundary the 128-byte swizzle needs: 197,632 B.
    /// </summary>
    public static int SharedBytes => Stages * (TileM + TileN) * SliceK * sizeof(ushort) + 1024;

    /// <summary>
    /// Whether <paramref name="device"/> runs the kernel (compute capability 9.x) and the operands suit its
    /// tensor maps: A and B 16-byte aligned, leading dimensions and batch strides multiples of 8 elements (the
    /// tensor copies' global strides must be multiples of 16 bytes). <see cref="GemmBf16Kernels.Dispatch"/> keeps the
    /// mma.sync kernel when they are not.
    /// </summary>
    public static bool Supports(DeviceInfo device, DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        device.ComputeCapabilityMajor == 9 && a.Address % 16 == 0 && b.Address % 16 == 0
        && lda % 8 == 0 && ldb % 8 == 0 && strideA % 8 == 0 && strideB % 8 == 0;

    /// <summary>Whether the CUDA backend takes this kernel: <see cref="HopperGemmKernels.OptedIn"/> and <see cref="Supports"/>.</summary>
    public static bool Chosen(DeviceInfo device, DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        Supports(device, a, lda, strideA, b, ldb, strideB) && HopperGemmKernels.OptedIn;

    /// <summary>Which bfloat16 GEMM the CUDA backend uses on <paramref name="device"/>, in words (for <c>cudabert info</c> and <c>bench kernels</c>).</summary>
    public static string TensorCorePath(DeviceInfo device) => device.ComputeCapabilityMajor != 9
        ? "mma.sync, Kernels/bert/gemm_bf16.cu (the wgmma kernel needs compute capability 9.x)"
        : HopperGemmKernels.OptedIn
            ? $"wgmma, Kernels/hopper/gemm_wgmma_bf16.cu (sm_90a), every layout ({HopperGemmKernels.OptInVariable}=1; mma.sync, Kernels/bert/gemm_bf16.cu, for operands not 16-byte aligned)"
            : $"mma.sync, Kernels/bert/gemm_bf16.cu (set {HopperGemmKernels.OptInVariable}=1 for the wgmma kernel Kernels/hopper/gemm_wgmma_bf16.cu, not yet checked on a Hopper GPU)";

    /// <summary>Contiguous operands: leading dimensions and strides follow from the shapes, as <see cref="GemmBf16Kernels"/>.</summary>
    public static void Run(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool cIsBFloat16, CudaStream? stream = null) =>
        Run(dev, transA, transB, batch, m, n, k, alpha, a, transA ? m : k, (long)m * k, b, transB ? k : n, (long)k * n,
            beta, c, n, (long)m * n, cIsBFloat16, stream: stream);

    /// <summary>
    /// General leading dimensions and batch strides (in elements); A and B must satisfy <see cref="Supports"/>.
    /// <paramref name="bias"/> (float32, N) is added after α·op(A)·op(B) + β·C, then GELU for
    /// <see cref="GemmEpilogue.BiasGelu"/>; <see cref="GemmEpilogue.GeluDerivative"/> multiplies by GELU′ of
    /// <paramref name="aux"/> (float32, laid out like C); a bfloat16 C is rounded once, last.
    /// </summary>
    public static void Run(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        bool cIsBFloat16, DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
    {
        string kernel = "gemm_wgmma_bf16_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        Launcher.Positive(batch, kernel);
        Launcher.Positive(m, kernel);
        Launcher.Positive(n, kernel);
        Launcher.Positive(k, kernel);
        GemmKernels.CheckEpilogue(kernel, beta, bias, epilogue, aux);
        if (dev.Info.ComputeCapabilityMajor != 9)
            throw new NotSupportedException($"{kernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use GemmBf16Kernels.Run.");
        if (!Supports(dev.Info, a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 8; use GemmBf16Kernels.Run.");
        long tiles = (long)Launcher.CeilDiv(m, TileM) * Launcher.CeilDiv(n, TileN) * batch;
        if (tiles > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: {batch} items of {m} × {n} are {tiles} tiles of {TileM} × {TileN}, more than the kernel counts ({int.MaxValue}).");
        var function = Launcher.GetHopper(dev, "gemm_wgmma_bf16", kernel);
        dev.SetMaxDynamicSharedBytes(function, SharedBytes);
        int itemsA = strideA == 0 ? 1 : batch, itemsB = strideB == 0 ? 1 : batch;
        var mapA = transA ? MajorMap(dev, a, m, k, lda, strideA, itemsA) : KMajorMap(dev, a, m, k, lda, strideA, itemsA);
        var mapB = transB ? KMajorMap(dev, b, n, k, ldb, strideB, itemsB) : MajorMap(dev, b, n, k, ldb, strideB, itemsB);
        int blocks = (int)Math.Min(tiles, dev.Info.MultiprocessorCount);   // persistent: one block per SM walks the tiles
        dev.Launch(function, blocks, Threads, SharedBytes, stream,
            new KernelArgs().TensorMap(mapA).TensorMap(mapB).I32(m).I32(n).I32(k).I32(batch).F32(alpha).I32(itemsA).I32(itemsB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).I32(cIsBFloat16 ? 1 : 0).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }

    /// <summary>
    /// The tensor map of a K-major operand, stored rows × k row-major with leading dimension <paramref name="ld"/>,
    /// <paramref name="items"/> batch items <paramref name="stride"/> elements apart (one item when the stride is 0:
    /// every batch item reads it): dimensions (k, rows, items) innermost first, a box of 64 bfloat16 of K (128 bytes)
    /// by 128 rows, the 128-byte swizzle wgmma reads.
    /// </summary>
    static TensorMap KMajorMap(ICudaDevice dev, DevicePtr matrix, int rows, int k, int ld, long stride, int items)
    {
        ulong rowBytes = (ulong)ld * sizeof(ushort);
        ulong itemBytes = stride == 0 ? rowBytes * (ulong)rows : (ulong)stride * sizeof(ushort);
        return dev.EncodeTiledTensorMap(TensorMapDataType.BFloat16, matrix, [(ulong)k, (ulong)rows, (ulong)items], [rowBytes, itemBytes],
            [SliceK, TileM, 1], [1, 1, 1], TensorMapSwizzle.Bytes128, TensorMapL2Promotion.Bytes128);
    }

    /// <summary>
    /// The tensor map of an M- or N-major operand, stored k × <paramref name="columns"/> row-major (as the K-major map
    /// otherwise): dimensions (columns, k, items) innermost first, a box of 64 columns (128 bytes: a swizzled box may
    /// span no more) by 64 rows of K, the 128-byte swizzle; the kernel loads two boxes side by side per 128 columns.
    /// </summary>
    static TensorMap MajorMap(ICudaDevice dev, DevicePtr matrix, int columns, int k, int ld, long stride, int items)
    {
        ulong rowBytes = (ulong)ld * sizeof(ushort);
        ulong itemBytes = stride == 0 ? rowBytes * (ulong)k : (ulong)stride * sizeof(ushort);
        return dev.EncodeTiledTensorMap(TensorMapDataType.BFloat16, matrix, [(ulong)columns, (ulong)k, (ulong)items], [rowBytes, itemBytes],
            [Panel, SliceK, 1], [1, 1, 1], TensorMapSwizzle.Bytes128, TensorMapL2Promotion.Bytes128);
    }
}
