using CudaBert.Engine.Cpu;

namespace CudaBert.Tests.Gemm;

/// <summary>
/// <see cref="CpuGemm.SgemmStridedBatched"/>: each matrix of the batch against the float64 triple
/// loop, both for many small products (run one per thread) and for few larger ones (each over all
/// cores), with strides larger than one matrix so that gaps must stay untouched.
/// </summary>
public class CpuGemmBatchedTests
{
    [Theory]
    [InlineData(16, 9, 13, 8, false, true)]     // attention scores: Q·Kᵀ per head
    [InlineData(16, 9, 8, 13, false, false)]    // attention context: P·V per head
    [InlineData(1, 70, 40, 400, true, false)]   // one large product, k > Kc
    [InlineData(3, 33, 65, 17, true, true)]
    public void EachMatrixMatchesTheReference(int batch, int m, int n, int k, bool transA, bool transB)
    {
        foreach (var kernel in new[] { GemmKernelKind.Vector256, GemmKernelKind.Vector512 })
        {
            int lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
            int sizeA = m * k, sizeB = k * n, sizeC = m * n;
            long strideA = sizeA + 3, strideB = sizeB + 1, strideC = sizeC + 2;
            float[] a = GemmReference.Random((int)(strideA * batch), 21);
            float[] b = GemmReference.Random((int)(strideB * batch), 22);
            float[] c = GemmReference.Random((int)(strideC * batch), 23), before = (float[])c.Clone();
            const float alpha = 0.75f, beta = -0.5f;

            CpuGemm.SgemmStridedBatched(kernel, Environment.ProcessorCount, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
                beta, c, ldc, strideC, batch);

            for (int item = 0; item < batch; item++)
            {
                float[] ai = a[(int)(item * strideA)..][..sizeA], bi = b[(int)(item * strideB)..][..sizeB];
                float[] ci = before[(int)(item * strideC)..][..sizeC];
                var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha, ai, lda, bi, ldb, beta, ci, ldc);
                float[] got = c[(int)(item * strideC)..][..sizeC];
                GemmReference.AssertMatches(expected, tolerance, got, ci, m, n, ldc, $"{kernel} batch item {item}");
                for (long gap = item * strideC + sizeC; gap < (item + 1) * strideC; gap++)
                    Assert.Equal(before[gap], c[gap]);
            }
        }
    }

    [Fact]
    public void PublicOverloadUsesTheMachinesKernel()
    {
        float[] a = [1, 2, 3, 4, 5, 6, 7, 8], b = [1, 0, 0, 1, 2, 0, 0, 2], c = new float[8];
        CpuGemm.SgemmStridedBatched(false, false, 2, 2, 2, 1f, a, 2, 4, b, 2, 4, 0f, c, 2, 4, 2);
        Assert.Equal([1f, 2f, 3f, 4f, 10f, 12f, 14f, 16f], c);
    }
}
