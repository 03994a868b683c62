namespace CudaBert.Engine.Cpu;

/// <summary>
/// Single-precision GEMM on the CPU: C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose or not.
/// A is M×K (or K×M when <paramref name="transA"/>), B is K×N (or N×K when transB), C is M×N.
/// lda/ldb/ldc are row strides in elements.
/// </summary>
public static class CpuGemm
{
    // Placeholder reference loop; the cache-blocked, register-tiled SIMD kernel replaces its body.
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                    sum += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                c[i * ldc + j] = alpha * sum + (beta == 0 ? 0 : beta * c[i * ldc + j]);
            }
    }

    /// <summary>Batched GEMM: <paramref name="batch"/> independent products, operands strided by strideA/B/C elements.</summary>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        for (int i = 0; i < batch; i++)
            Sgemm(transA, transB, m, n, k, alpha, a[(int)(i * strideA)..], lda, b[(int)(i * strideB)..], ldb,
                beta, c[(int)(i * strideC)..], ldc);
    }
}
