namespace CudaBert.Engine.Cpu;

/// <summary>
/// Double-precision GEMM for gradient checks: C = α·op(A)·op(B) + β·C, row-major, same conventions
/// as <see cref="CpuGemm.Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>. A plain triple loop (i, p, j order so the inner loop walks rows
/// of B and C): correctness matters here, not speed.
/// </summary>
public static class Float64Gemm
{
    /// <summary>
    /// C = α·op(A)·op(B) + β·C for one M×K by K×N product in double precision. <paramref name="lda"/>,
    /// <paramref name="ldb"/> and <paramref name="ldc"/> are the row strides (in elements) of A, B and C as
    /// stored, so op(A) = Aᵀ reads A as a K×M matrix with rows <paramref name="lda"/> apart.
    /// </summary>
    public static void Dgemm(bool transA, bool transB, int m, int n, int k, double alpha,
        ReadOnlySpan<double> a, int lda, ReadOnlySpan<double> b, int ldb, double beta, Span<double> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            Span<double> row = c.Slice(i * ldc, n);
            if (beta == 0) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
            for (int p = 0; p < k; p++)
            {
                double aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                for (int j = 0; j < n; j++)
                    row[j] += aip * (transB ? b[j * ldb + p] : b[p * ldb + j]);
            }
        }
    }
}
