namespace CudaBert.Tests.Gemm;

/// <summary>
/// The textbook triple loop in float64, and the rounding-error bound a float32 GEMM must meet
/// against it.
/// </summary>
internal static class GemmReference
{
    private const double UnitRoundoff = 1.0 / (1 << 24);

    /// <summary>
    /// Expected C and, per element, the largest error allowed: a length-k dot product accumulated in
    /// float32 (with FMA) is within k·u·Σ|a·b| of the exact value; alpha and the beta·C term add a
    /// few more roundings, hence (k + 4)·u·(|alpha|·Σ|a·b| + |beta·c|).
    /// </summary>
    public static (double[] Expected, double[] Tolerance) Compute(bool transA, bool transB, int m, int n, int k,
        float alpha, float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc)
    {
        var expected = new double[m * n];
        var tolerance = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, magnitude = 0;
                for (int p = 0; p < k; p++)
                {
                    double product = (double)(transA ? a[p * lda + i] : a[i * lda + p])
                        * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                    sum += product;
                    magnitude += Math.Abs(product);
                }
                double old = beta == 0 ? 0 : (double)beta * c[i * ldc + j];
                expected[i * n + j] = alpha * sum + old;
                tolerance[i * n + j] = (k + 4) * UnitRoundoff * (Math.Abs(alpha) * magnitude + Math.Abs(old)) + 1e-30;
            }
        return (expected, tolerance);
    }

    /// <summary>
    /// Asserts each of <paramref name="batch"/> products packed one after another in <paramref name="result"/>
    /// (row-major M x N, leading dimensions the tight ones) is within <paramref name="boundScale"/> times
    /// the bound of <see cref="Compute"/> of the same slice of a, b and c.
    /// </summary>
    public static void AssertBatched(float[] result, bool transA, bool transB, int batch, int m, int n, int k,
        float alpha, float[] a, float[] b, float beta, float[] c, double boundScale = 1)
    {
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = Compute(transA, transB, m, n, k, alpha,
                a.AsSpan(item * m * k, m * k).ToArray(), transA ? m : k,
                b.AsSpan(item * k * n, k * n).ToArray(), transB ? k : n,
                beta, c.AsSpan(item * m * n, m * n).ToArray(), n);
            for (int i = 0; i < m * n; i++)
                AssertClose.Scalar(expected[i], result[item * m * n + i], $"C[{item}][{i / n}][{i % n}]", absolute: boundScale * tolerance[i]);
        }
    }

    /// <summary>Uniform values in [-1, 1) from a fixed seed.</summary>
    public static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>Asserts C matches the reference inside the bound and that padding between rows is untouched.</summary>
    public static void AssertMatches(double[] expected, double[] tolerance, float[] c, float[] before,
        int m, int n, int ldc, string what)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
                AssertClose.Scalar(expected[i * n + j], c[i * ldc + j], $"{what}: C[{i},{j}]", absolute: tolerance[i * n + j]);
            for (int j = n; j < ldc && i * ldc + j < c.Length; j++)
                Assert.True(c[i * ldc + j].Equals(before[i * ldc + j]), $"{what}: padding C[{i},{j}] was overwritten");
        }
    }
}
