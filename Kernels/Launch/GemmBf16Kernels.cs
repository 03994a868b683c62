using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/gemm_bf16.cu: batched row-major C = α·op(A)·op(B) + β·C (+ <see cref="GemmEpilogue"/>) with
/// bfloat16 A and B (raw bits), float32 accumulation on the tensor cores (mma.sync m16n8k16 bf16), and C
/// float32 or bfloat16 (rounded once, after the epilogue; bias and aux are float32, aux laid out like C).
/// op(A) is M×K, op(B) K×N, C M×N; batch b starts at A + b·strideA (elements; 0 shares one matrix) and
/// so on. β = 0 does not read C. No alignment is required. Launch: 128 threads per 64×64 tile of C,
/// grid (⌈N/64⌉, ⌈M/64⌉, batch), 10 KB of static shared memory.
/// </summary>
public static class GemmBf16Kernels
{
    const int Tile = 64, Threads = 128, MaxGridY = 65535;

    /// <summary>
    /// The bfloat16 GEMM the CUDA backend runs, contiguous operands: Hopper's wgmma kernel when
    /// <see cref="HopperGemmBf16Kernels.Chosen"/> (compute capability 9.x, opted in, aligned operands),
    /// this mma.sync kernel otherwise.
    /// </summary>
    public static void Dispatch(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool cIsBFloat16, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
    {
        int lda = transA ? m : k, ldb = transB ? k : n;
        long strideA = (long)m * k, strideB = (long)k * n;
        if (HopperGemmBf16Kernels.Chosen(dev.Info, a, lda, strideA, b, ldb, strideB))
            HopperGemmBf16Kernels.Run(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                beta, c, n, (long)m * n, cIsBFloat16, bias, epilogue, aux, stream);
        else
            Run(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, cIsBFloat16,
                bias, epilogue, aux, stream);
    }

    /// <summary>Contiguous operands: leading dimensions and strides follow from the shapes.</summary>
    public static void Run(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool cIsBFloat16, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null) =>
        Run(dev, transA, transB, batch, m, n, k, alpha, a, transA ? m : k, (long)m * k, b, transB ? k : n, (long)k * n,
            beta, c, n, (long)m * n, cIsBFloat16, bias, epilogue, aux, stream);

    /// <summary>General leading dimensions and batch strides (in elements); aux has C's.</summary>
    public static void Run(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        bool cIsBFloat16, DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
    {
        string kernel = "gemm_bf16_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        Launcher.Positive(batch, kernel);
        Launcher.Positive(m, kernel);
        Launcher.Positive(n, kernel);
        Launcher.Positive(k, kernel);
        if (batch > 65535)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: batch = {batch} exceeds the grid's z limit 65535.");
        GemmKernels.CheckEpilogue(kernel, beta, bias, epilogue, aux);
        if (Launcher.CeilDiv(m, Tile) > MaxGridY)
            throw new ArgumentOutOfRangeException(nameof(m), m, $"{kernel}: M = {m} needs more than {MaxGridY} blocks of {Tile} rows (the grid's y limit).");
        var grid = new Dim3((uint)Launcher.CeilDiv(n, Tile), (uint)Launcher.CeilDiv(m, Tile), (uint)batch);
        dev.Launch(Launcher.Get(dev, "gemm_bf16", kernel), grid, Threads, 0, stream,
            new KernelArgs().I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).I32(cIsBFloat16 ? 1 : 0).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }
}
