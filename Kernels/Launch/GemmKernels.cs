using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>What a GEMM adds after α·op(A)·op(B) + β·C.</summary>
public enum GemmEpilogue
{
    None = 0,
    /// <summary>+ bias[n] on every row.</summary>
    Bias = 1,
    /// <summary>+ bias[n], then GELU (erf): a Linear layer followed by BERT's activation, in one pass.</summary>
    BiasGelu = 2,
}

/// <summary>
/// Batched row-major C = α·op(A)·op(B) + β·C (+ epilogue) with transpose flags, two kernels side by
/// side: Kernels/bert/gemm_simt.cu (fp32 FMA, register-tiled; exact to fp32 rounding, any layout) and
/// Kernels/bert/gemm_tf32.cu (tensor cores, mma.sync tf32 with fp32 accumulation, ldmatrix, 3-stage
/// cp.async pipeline; ~1e-3 relative, needs 16-byte aligned rows). op(A) is M×K, op(B) K×N, C M×N;
/// batch b starts at A + b·strideA (elements; 0 shares one matrix) and so on. β = 0 does not read C.
/// Both launch 256 threads per block, each block a 128×128 tile of C, grid (⌈N/128⌉, ⌈M/128⌉, batch).
/// </summary>
public static class GemmKernels
{
    const int Tile = 128;

    /// <summary>Contiguous operands: lda, ldb, ldc are the row lengths of A, B, C as stored; strides are whole matrices.</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        Simt(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, stream);
    }

    /// <summary>Leading dimensions and batch strides of contiguous op(A) (M×K) and op(B) (K×N) as stored.</summary>
    static (int Lda, long StrideA, int Ldb, long StrideB) Contiguous(bool transA, bool transB, int m, int n, int k, bool broadcastB) =>
        (transA ? m : k, (long)m * k, transB ? k : n, broadcastB ? 0 : (long)k * n);

    static void CheckShape(string kernel, int batch, int m, int n, int k, DevicePtr bias, GemmEpilogue epilogue)
    {
        BertKernel.Positive(batch, kernel);
        BertKernel.Positive(m, kernel);
        BertKernel.Positive(n, kernel);
        BertKernel.Positive(k, kernel);
        if (batch > 65535)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: batch = {batch} exceeds the grid's z limit 65535.");
        if (epilogue != GemmEpilogue.None) BertKernel.NotNull(bias, kernel);
    }

    /// <summary>General leading dimensions and batch strides (in elements).</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        const string kernel = "gemm_simt_f32";
        CheckShape(kernel, batch, m, n, k, bias, epilogue);
        var grid = new Dim3((uint)BertKernel.CeilDiv(n, Tile), (uint)BertKernel.CeilDiv(m, Tile), (uint)batch);
        dev.Launch(BertKernel.Get(dev, "gemm_simt", kernel), grid, BertKernel.Threads, 0, stream,
            new KernelArgs().I32(transA ? 1 : 0).I32(transB ? 1 : 0).I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).I32((int)epilogue));
    }

    /// <summary>
    /// Contiguous operands, the kernel chosen per call: the tensor-core kernel when <paramref name="allowTf32"/>
    /// (the caller accepts ~1e-3 relative error, as PyTorch's allow_tf32) and the operands qualify
    /// (<see cref="SupportsTf32"/>), else the fp32 SIMT kernel.
    /// </summary>
    public static void Run(ICudaDevice dev, bool allowTf32, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        if (allowTf32 && SupportsTf32(a, lda, strideA, b, ldb, strideB))
            Tf32(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, stream);
        else
            Simt(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, stream);
    }

    /// <summary>
    /// Whether the tensor-core kernel can take these operands: every row of A and B as stored, and every
    /// batch, starts on a 16-byte boundary (leading dimensions and strides multiples of 4 floats).
    /// </summary>
    public static bool SupportsTf32(DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        a.Address % 16 == 0 && b.Address % 16 == 0 && lda % 4 == 0 && ldb % 4 == 0 && strideA % 4 == 0 && strideB % 4 == 0;

    /// <summary>The tensor-core kernel on contiguous operands (see the contiguous <see cref="Simt(ICudaDevice, bool, bool, int, int, int, int, float, DevicePtr, DevicePtr, float, DevicePtr, bool, DevicePtr, GemmEpilogue, CudaStream?)"/>).</summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        Tf32(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, stream);
    }

    /// <summary>The tensor-core kernel; throws when <see cref="SupportsTf32"/> is false for the operands.</summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        string kernel = "gemm_tf32_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        CheckShape(kernel, batch, m, n, k, bias, epilogue);
        if (!SupportsTf32(a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 4; use the SIMT kernel.");
        var grid = new Dim3((uint)BertKernel.CeilDiv(n, Tile), (uint)BertKernel.CeilDiv(m, Tile), (uint)batch);
        dev.Launch(BertKernel.Get(dev, "gemm_tf32", kernel), grid, BertKernel.Threads, 0, stream,
            new KernelArgs().I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).I32((int)epilogue));
    }
}
