using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Hopper's bfloat16 GEMM, Kernels/hopper/gemm_wgmma_bf16.cu: warpgroup <c>wgmma.mma_async</c> (bf16
/// operands, fp32 accumulation) with both operands in 128-byte-swizzled shared memory, fed by a 3-stage
/// cp.async ring. Every layout of <see cref="GemmBf16Kernels"/> — C = α·op(A)·op(B) + β·C (+ epilogue),
/// C float32 or bfloat16 — with the transposed operands read M/N-major by the tensor cores instead of
/// being transposed on the way in. Its PTX targets sm_90a, so it runs on compute capability 9.x only.
/// The CUDA backend takes it for bfloat16 GEMMs there only when <see cref="HopperGemmKernels.OptInVariable"/>
/// is 1 (<see cref="Chosen"/>), for the reason given at <see cref="HopperGemmKernels"/>: until its tests
/// have passed on a Hopper GPU, the mma.sync kernel stays the default.
/// 128 threads (one warpgroup) per 64×128 tile of C, grid (⌈N/128⌉, ⌈M/64⌉, batch).
/// </summary>
public static class HopperGemmBf16Kernels
{
    const int TileM = 64, TileN = 128, SliceK = 64, Stages = 3, Threads = 128;
    const int MaxGridY = 65535;

    /// <summary>
    /// Dynamic shared memory: per stage a 64×64 and a 128×64 bfloat16 slice (24 KB), 3 stages, plus 1 KB so
    /// the kernel can start its buffers on the 1024-byte boundary the 128-byte swizzle needs: 74,752 B.
    /// </summary>
    public static int SharedBytes => Stages * (TileM + TileN) * SliceK * sizeof(ushort) + 1024;

    /// <summary>
    /// Whether <paramref name="device"/> runs the kernel (compute capability 9.x) and the operands suit its
    /// 16-byte copies: A and B 16-byte aligned, leading dimensions and batch strides multiples of 8 elements.
    /// </summary>
    public static bool Supports(DeviceInfo device, DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        device.ComputeCapabilityMajor == 9 && a.Address % 16 == 0 && b.Address % 16 == 0
        && lda % 8 == 0 && ldb % 8 == 0 && strideA % 8 == 0 && strideB % 8 == 0;

    /// <summary>Whether the CUDA backend takes this kernel: <see cref="HopperGemmKernels.OptedIn"/> and <see cref="Supports"/>.</summary>
    public static bool Chosen(DeviceInfo device, DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        HopperGemmKernels.OptedIn && Supports(device, a, lda, strideA, b, ldb, strideB);

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
        if (batch > 65535)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: batch = {batch} exceeds the grid's z limit 65535.");
        GemmKernels.CheckEpilogue(kernel, beta, bias, epilogue, aux);
        if (dev.Info.ComputeCapabilityMajor != 9)
            throw new NotSupportedException($"{kernel}: needs a compute capability 9.x GPU (sm_90a PTX); {dev.Info.Name} is " +
                $"{dev.Info.ComputeCapabilityMajor}.{dev.Info.ComputeCapabilityMinor}. Use GemmBf16Kernels.Run.");
        if (!Supports(dev.Info, a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 8; use GemmBf16Kernels.Run.");
        if (Launcher.CeilDiv(m, TileM) > MaxGridY)
            throw new ArgumentOutOfRangeException(nameof(m), m, $"{kernel}: M = {m} needs more than {MaxGridY} blocks of {TileM} rows (the grid's y limit).");
        var function = Launcher.GetHopper(dev, "gemm_wgmma_bf16", kernel);
        dev.SetMaxDynamicSharedBytes(function, SharedBytes);
        var grid = new Dim3((uint)Launcher.CeilDiv(n, TileN), (uint)Launcher.CeilDiv(m, TileM), (uint)batch);
        dev.Launch(function, grid, Threads, SharedBytes, stream,
            new KernelArgs().I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).I32(cIsBFloat16 ? 1 : 0).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }
}
