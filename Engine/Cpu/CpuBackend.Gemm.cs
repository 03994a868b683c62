namespace CudaBert.Engine.Cpu;

// Matrix products: float32 goes to CpuGemm (the tuned kernel), float64 to the reference loop.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void Gemm(bool transA, bool transB, int batch, int m, int n, int k, double alpha, Tensor a, Tensor b, double beta, Tensor c)
    {
        // Row strides of the stored (untransposed) matrices: A is M×K or K×M, B is K×N or N×K.
        int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
        long strideA = (long)m * k, strideB = (long)k * n, strideC = (long)m * n;
        if (c.DType == DType.Float32)
        {
            if (batch == 1)
                CpuGemm.Sgemm(transA, transB, m, n, k, (float)alpha, a.AsSpan<float>(), lda, b.AsSpan<float>(), ldb, (float)beta, c.AsSpan<float>(), ldc);
            else
                CpuGemm.SgemmStridedBatched(transA, transB, m, n, k, (float)alpha, a.AsSpan<float>(), lda, strideA,
                    b.AsSpan<float>(), ldb, strideB, (float)beta, c.AsSpan<float>(), ldc, strideC, batch);
        }
        else if (c.DType == DType.Float64)
        {
            for (int i = 0; i < batch; i++)
                Float64Gemm.Dgemm(transA, transB, m, n, k, alpha, a.AsSpan<double>()[(int)(i * strideA)..], lda,
                    b.AsSpan<double>()[(int)(i * strideB)..], ldb, beta, c.AsSpan<double>()[(int)(i * strideC)..], ldc);
        }
        else throw new NotSupportedException($"Gemm: needs float tensors, got {c.DType}");
    }
}
