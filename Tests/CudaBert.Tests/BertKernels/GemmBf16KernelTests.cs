using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/bert/gemm_bf16.cu. The inputs are bfloat16 values, exactly representable in float32, so the
/// reference is the float64 triple loop on those values and the float32 GEMM bound applies (doubled:
/// the tensor core's internal accumulation order is not specified) — nothing of bfloat16 rounding
/// enters except for a bfloat16 C, which is rounded once at the end.
/// </summary>
public class GemmBf16KernelTests
{
    // None of M, N, K is a multiple of the kernel's tiles (64×64 of C, K slices of 32 in steps of 16):
    // K = 40 is one whole slice and a partial one whose second k-step is all padding.
    const int M = 36, N = 70, K = 40, Batch = 2;

    static (ushort[] Bits, float[] Values) Bf16Inputs(int seed, int count)
    {
        var bits = Array.ConvertAll(TestInputs.NonZero(seed, count), TestInputs.ToBf16);
        return (bits, Array.ConvertAll(bits, TestInputs.FromBf16));
    }

    [Theory, MemberData(nameof(GemmKernelTests.DevicesAndTransposes), MemberType = typeof(GemmKernelTests))]
    public void BatchedProductAccumulatesInFloat32(string device, bool transA, bool transB) =>
        AssertBatchedProduct(device, transA, transB, Batch, M, N, K, seed: 150);

    // Every leading dimension and batch stride a multiple of 8 elements: every chunk inside the matrix is
    // one 16-byte load, along k and along m/n; M = 72, N = 80 still cut the second tile, K = 48 the second slice.
    [Theory, MemberData(nameof(GemmKernelTests.DevicesAndTransposes), MemberType = typeof(GemmKernelTests))]
    public void AlignedRowsGiveTheSameProduct(string device, bool transA, bool transB) =>
        AssertBatchedProduct(device, transA, transB, batch: 2, m: 72, n: 80, k: 48, seed: 170);

    static void AssertBatchedProduct(string device, bool transA, bool transB, int batch, int m, int n, int k, int seed)
    {
        using var gpu = TestDevices.Open(device);
        var (aBits, a) = Bf16Inputs(seed, batch * m * k);
        var (bBits, b) = Bf16Inputs(seed + 1, batch * k * n);
        float[] c = TestInputs.NonZero(seed + 2, batch * m * n);
        using DeviceArray<ushort> da = new(gpu, aBits), db = new(gpu, bBits);
        using DeviceArray<float> dc = new(gpu, c);
        const float alpha = 1.25f, beta = 0.5f;

        GemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, db.Ptr, beta, dc.Ptr, cIsBFloat16: false);

        GemmReference.AssertBatched(dc.Read(), transA, transB, batch, m, n, k, alpha, a, b, beta, c, boundScale: 2);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(GemmKernelTests.DevicesAndTransposes), MemberType = typeof(GemmKernelTests))]
    public void BFloat16OutputIsTheFloat32ResultRoundedOnce(string device, bool transA, bool transB)
    {
        // Padded rows (lda, ldb, ldc past the matrix, odd, so nothing is 4-byte aligned) and batch strides
        // with a gap; C's padding must stay untouched. β ≠ 0 reads the bfloat16 C.
        const int m = 70, n = 65, k = 33, batch = 2;
        int lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 1, ldc = n + 3;
        int aRows = transA ? k : m, bRows = transB ? n : k;
        long strideA = (long)aRows * lda + 5, strideB = (long)bRows * ldb + 1, strideC = (long)m * ldc + 7;
        using var gpu = TestDevices.Open(device);
        var (aBits, a) = Bf16Inputs(160, (int)(batch * strideA));
        var (bBits, b) = Bf16Inputs(161, (int)(batch * strideB));
        var (cBits, c) = Bf16Inputs(162, (int)(batch * strideC));
        using DeviceArray<ushort> da = new(gpu, aBits), db = new(gpu, bBits), dc = new(gpu, cBits);
        const float alpha = -0.75f, beta = 0.25f;

        GemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, lda, strideA, db.Ptr, ldb, strideB, beta, dc.Ptr, ldc, strideC, cIsBFloat16: true);

        ushort[] resultBits = dc.Read();
        float[] result = Array.ConvertAll(resultBits, TestInputs.FromBf16);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha,
                a[(int)(item * strideA)..], lda, b[(int)(item * strideB)..], ldb, beta, c[(int)(item * strideC)..], ldc);
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < n; j++)
                {
                    // The float32 result (within twice the GEMM bound) rounded to bfloat16: at most half a
                    // bfloat16 unit, 2⁻⁹ relative, away from it.
                    double e = expected[i * n + j];
                    double bound = 2 * tolerance[i * n + j] * (1 + Math.Pow(2, -8)) + Math.Pow(2, -8) * Math.Abs(e);
                    AssertClose.Scalar(e, result[item * strideC + i * ldc + j], $"C[{item}][{i}][{j}]", absolute: bound);
                }
                for (int j = n; j < ldc; j++)
                    Assert.True(cBits[item * strideC + i * ldc + j] == resultBits[item * strideC + i * ldc + j], $"padding C[{item}][{i}][{j}] was overwritten");
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
