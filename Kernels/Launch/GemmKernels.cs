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
/// Kernels/bert/gemm_simt.cu: batched row-major C = α·op(A)·op(B) + β·C (+ epilogue), fp32, with
/// transpose flags. op(A) is M×K, op(B) K×N, C M×N; batch b starts at A + b·strideA (elements;
/// 0 shares one matrix) and so on. β = 0 does not read C.
/// Launch: 256 threads per block, each block a 128×128 tile of C (each thread 8×8 of it), grid
/// (⌈N/128⌉, ⌈M/128⌉, batch).
/// </summary>
public static class GemmKernels
{
    const int Tile = 128;

    /// <summary>Contiguous operands: lda, ldb, ldc are the row lengths of A, B, C as stored; strides are whole matrices.</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null) =>
        Simt(dev, transA, transB, batch, m, n, k, alpha,
            a, transA ? m : k, (long)m * k,
            b, transB ? k : n, broadcastB ? 0 : (long)k * n,
            beta, c, n, (long)m * n, bias, epilogue, stream);

    /// <summary>General leading dimensions and batch strides (in elements).</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, CudaStream? stream = null)
    {
        const string kernel = "gemm_simt_f32";
        BertKernel.Positive(batch, kernel);
        BertKernel.Positive(m, kernel);
        BertKernel.Positive(n, kernel);
        BertKernel.Positive(k, kernel);
        if (batch > 65535)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: batch = {batch} exceeds the grid's z limit 65535.");
        if (epilogue != GemmEpilogue.None) BertKernel.NotNull(bias, kernel);
        var grid = new Dim3((uint)BertKernel.CeilDiv(n, Tile), (uint)BertKernel.CeilDiv(m, Tile), (uint)batch);
        dev.Launch(BertKernel.Get(dev, "gemm_simt", kernel), grid, BertKernel.Threads, 0, stream,
            new KernelArgs().I32(transA ? 1 : 0).I32(transB ? 1 : 0).I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).I32((int)epilogue));
    }
}
