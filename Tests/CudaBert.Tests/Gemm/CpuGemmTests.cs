using CudaBert.Engine.Cpu;

namespace CudaBert.Tests.Gemm;

/// <summary>
/// <see cref="CpuGemm"/> against the float64 triple loop, for both micro-kernels, every transpose
/// combination and shapes chosen to hit every edge of the blocking: 1, shapes below and just above
/// the tile sizes (MR 6/12, NR 16/32), the block sizes (Mc 96, Kc 384) and the parallel path.
/// </summary>
public class CpuGemmTests
{
    public static readonly TheoryData<int, int, int> Shapes = new()
    {
        { 1, 1, 1 },
        { 1, 7, 17 },
        { 7, 1, 63 },
        { 17, 65, 1 },
        { 63, 17, 7 },
        { 65, 129, 33 },
        { 129, 63, 65 },
        { 12, 32, 385 },   // exactly one 512-bit tile, k split into two blocks
        { 200, 100, 400 }, // rows cross Mc, k crosses Kc, large enough to run in parallel
    };

    private static readonly GemmKernelKind[] Kernels = [GemmKernelKind.Vector256, GemmKernelKind.Vector512];

    [Theory]
    [MemberData(nameof(Shapes))]
    public void MatchesFloat64ReferenceForEveryTransposeAndKernel(int m, int n, int k)
    {
        foreach (var kernel in Kernels)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    CheckOne(kernel, transA, transB, m, n, k, alpha: 1f, beta: 0f, padding: 0);
    }

    [Theory]
    [InlineData(0.5f, 1f)]
    [InlineData(-1.25f, 0.75f)]
    [InlineData(2f, -3f)]
    public void AppliesAlphaAndBetaWithPaddedLeadingDimensions(float alpha, float beta)
    {
        foreach (var kernel in Kernels)
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    CheckOne(kernel, transA, transB, 37, 45, 400, alpha, beta, padding: 5); // k > Kc: beta applies once
    }

    [Theory]
    [InlineData(1)] // one band: several Mc blocks in a row, k blocks outside them
    [InlineData(3)] // six bands of uneven size
    public void ThreadCountDoesNotChangeTheResult(int maxThreads)
    {
        foreach (var kernel in Kernels)
        {
            int m = 250, n = 70, k = 400;
            float[] a = GemmReference.Random(m * k, 31), b = GemmReference.Random(n * k, 32);
            float[] c = GemmReference.Random(m * n, 33), before = (float[])c.Clone();
            var (expected, tolerance) = GemmReference.Compute(false, true, m, n, k, 1f, a, k, b, k, 0.5f, c, n);
            CpuGemm.Sgemm(kernel, maxThreads, false, true, m, n, k, 1f, a, k, b, k, 0.5f, c, n);
            GemmReference.AssertMatches(expected, tolerance, c, before, m, n, n, $"{kernel} on {maxThreads} threads");
        }
    }

    [Fact]
    public void FewRowsAreSplitAcrossThreadsByColumns()
    {
        // One sliver of rows but enough work to go parallel: the macro-tiles split N instead.
        foreach (var kernel in Kernels)
            CheckOne(kernel, false, true, 3, 3100, 120, 1f, 0.5f, padding: 0);
    }

    [Fact]
    public void BetaZeroIgnoresNaNInC()
    {
        foreach (var kernel in Kernels)
        {
            int m = 13, n = 35, k = 9;
            float[] a = GemmReference.Random(m * k, 1), b = GemmReference.Random(k * n, 2);
            var c = new float[m * n];
            Array.Fill(c, float.NaN);
            var (expected, tolerance) = GemmReference.Compute(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            CpuGemm.Sgemm(kernel, Environment.ProcessorCount, false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            GemmReference.AssertMatches(expected, tolerance, c, c, m, n, n, $"{kernel} NaN in C, beta 0");
        }
    }

    [Theory]
    [InlineData(0f, 0f)]
    [InlineData(0f, 2.5f)]
    public void AlphaZeroOnlyScalesC(float alpha, float beta)
    {
        int m = 5, n = 6, k = 4;
        float[] a = GemmReference.Random(m * k, 3), b = GemmReference.Random(k * n, 4);
        a[0] = float.NaN; // BLAS does not read A or B when alpha is 0
        float[] c = GemmReference.Random(m * n, 5), original = (float[])c.Clone();
        CpuGemm.Sgemm(false, false, m, n, k, alpha, a, k, b, n, beta, c, n);
        for (int i = 0; i < c.Length; i++)
            Assert.Equal(beta * original[i], c[i]);
    }

    [Fact]
    public void EmptyKScalesCByBeta()
    {
        float[] c = [1, 2, 3, 4, 5, 6];
        CpuGemm.Sgemm(false, false, 2, 3, 0, 1f, [], 1, [], 3, 0.5f, c, 3);
        Assert.Equal([0.5f, 1f, 1.5f, 2f, 2.5f, 3f], c);
    }

    [Fact]
    public void EmptyMOrNTouchesNothing()
    {
        float[] c = [7];
        CpuGemm.Sgemm(false, false, 0, 1, 3, 1f, [], 3, [1, 2, 3], 1, 0f, c, 1);
        CpuGemm.Sgemm(false, false, 1, 0, 3, 1f, [1, 2, 3], 3, [], 1, 0f, c, 1);
        Assert.Equal([7f], c);
    }

    [Fact]
    public void TwoByTwoByHand()
    {
        // [1 2; 3 4]·[5 6; 7 8] = [19 22; 43 50]
        float[] a = [1, 2, 3, 4], b = [5, 6, 7, 8], c = new float[4];
        CpuGemm.Sgemm(false, false, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([19f, 22f, 43f, 50f], c);
        // Aᵀ·Bᵀ = (B·A)ᵀ, B·A = [23 34; 31 46]
        CpuGemm.Sgemm(true, true, 2, 2, 2, 1f, a, 2, b, 2, 0f, c, 2);
        Assert.Equal([23f, 31f, 34f, 46f], c);
    }

    private static void CheckOne(GemmKernelKind kernel, bool transA, bool transB, int m, int n, int k,
        float alpha, float beta, int padding)
    {
        int lda = (transA ? m : k) + padding, ldb = (transB ? k : n) + padding, ldc = n + padding;
        float[] a = GemmReference.Random((transA ? k : m) * lda, 11);
        float[] b = GemmReference.Random((transB ? n : k) * ldb, 12);
        float[] c = GemmReference.Random(m * ldc, 13), before = (float[])c.Clone();
        var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        CpuGemm.Sgemm(kernel, Environment.ProcessorCount, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        GemmReference.AssertMatches(expected, tolerance, c, before, m, n, ldc,
            $"{kernel} transA={transA} transB={transB} m={m} n={n} k={k} alpha={alpha} beta={beta} padding={padding}");
    }
}
