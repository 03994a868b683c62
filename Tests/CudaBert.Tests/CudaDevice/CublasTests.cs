using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;

namespace CudaBert.Tests.CudaDevice;

/// <summary>The cuBLAS baseline (real GPU only): our row-major mapping onto column-major cuBLAS is right.</summary>
public class CublasTests
{
    [Fact]
    public void RefusesADeviceThatIsNotTheDriver()
    {
        using var gpu = TestDevices.Open(TestDevices.Software);
        Assert.False(Cublas.TryCreate(gpu, out var blas, out string reason));
        Assert.Null(blas);
        Assert.Contains("not a CUDA driver device", reason);
    }

    [Theory]
    [InlineData(false, false, Cublas.Precision.Fp32)]
    [InlineData(false, true, Cublas.Precision.Fp32)]
    [InlineData(true, false, Cublas.Precision.Fp32)]
    [InlineData(false, true, Cublas.Precision.Tf32)]
    public void StridedBatchedGemmMatchesFloat64(bool transA, bool transB, Cublas.Precision precision)
    {
        using var gpu = TestDevices.Open(TestDevices.Driver);
        if (!Cublas.TryCreate(gpu, out var blas, out string reason))
            Assert.Skip(reason);
        using (blas)
        {
            const int M = 33, N = 20, K = 24, batch = 3;
            const float alpha = 1.5f, beta = -0.25f;
            float[] a = TestInputs.NonZero(30, batch * M * K), b = TestInputs.NonZero(31, batch * K * N), c = TestInputs.NonZero(32, batch * M * N);
            using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);

            blas.GemmStridedBatched(transA, transB, M, N, K, alpha, da.Ptr, M * K, db.Ptr, K * N, beta, dc.Ptr, M * N, batch, precision);
            gpu.Synchronize();

            // Row-major storage: A is M x K (K x M when transposed), B is K x N (N x K when transposed).
            // TF32 rounds inputs to 10 mantissa bits (relative 2^-11 each); FP32 allows K + 2 roundings.
            float[] result = dc.Read();
            double relative = precision == Cublas.Precision.Tf32 ? 2 * Math.Pow(2, -11) + K * TestInputs.U : (K + 2) * TestInputs.U;
            for (int p = 0; p < batch; p++)
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < N; j++)
                    {
                        double dot = 0, magnitude = 0;
                        for (int k = 0; k < K; k++)
                        {
                            double x = a[p * M * K + (transA ? k * M + i : i * K + k)], y = b[p * K * N + (transB ? j * K + k : k * N + j)];
                            dot += x * y;
                            magnitude += Math.Abs(x * y);
                        }
                        double cOld = c[p * M * N + i * N + j];
                        AssertClose.Scalar(alpha * dot + beta * cOld, result[p * M * N + i * N + j], $"batch {p}, C[{i}][{j}]",
                            absolute: relative * (Math.Abs(alpha) * magnitude + Math.Abs(beta * cOld)));
                    }
        }
    }
}
