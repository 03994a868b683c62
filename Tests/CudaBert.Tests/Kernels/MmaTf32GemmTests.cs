using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.Kernels;

/// <summary>Kernels/tests/mma_tf32_gemm.cu: ldmatrix + mma.sync m16n8k8 with TF32 inputs, C = A Bᵀ.</summary>
public class MmaTf32GemmTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MatchesGemmOnTf32RoundedInputs(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(PtxModules.Load(gpu, "tests/mma_tf32_gemm"), "mma_tf32_gemm");
        const int M = 32, N = 24, K = 40;               // 2 x 3 warp tiles of 16 x 8, 5 steps of k = 8
        float[] a = TestInputs.NonZero(11, M * K), b = TestInputs.NonZero(12, N * K);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, M * N);

        gpu.Launch(kernel, new Dim3(N / 8, M / 16), 32, 0, null, new KernelArgs().I32(M).I32(N).I32(K).Ptr(da.Ptr).Ptr(db.Ptr).Ptr(dc.Ptr));
        gpu.Synchronize();

        // Reference: the exact dot product of the TF32-rounded inputs (their products are exact in
        // float64). The tensor core accumulates in float32, in an order of its own: allow one rounding
        // per product, |error| ≤ K u Σ|a||b|. That is ~15x below the error of skipping the TF32
        // rounding (about 2^-11 relative per product), so a device that does not round is caught.
        float[] c = dc.Read();
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double dot = 0, magnitude = 0;
                for (int k = 0; k < K; k++)
                {
                    double product = (double)TestInputs.RoundToTf32(a[i * K + k]) * TestInputs.RoundToTf32(b[j * K + k]);
                    dot += product;
                    magnitude += Math.Abs(product);
                }
                TestInputs.Near(dot, c[i * N + j], K * TestInputs.U * magnitude, $"C[{i}][{j}]");
            }
    }
}
