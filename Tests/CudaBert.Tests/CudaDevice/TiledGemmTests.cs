using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/tiled_gemm.cu: shared-memory tiled SIMT GEMM, sizes not multiples of the tile.</summary>
public class TiledGemmTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MatchesFloat64Gemm(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(PtxModules.Load(gpu, "tests/tiled_gemm"), "tiled_gemm");
        const int M = 37, N = 29, K = 45, tile = 16;
        const float alpha = 0.75f, beta = -0.5f;
        float[] a = TestInputs.NonZero(8, M * K), b = TestInputs.NonZero(9, K * N), c = TestInputs.NonZero(10, M * N);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);

        gpu.Launch(kernel, new Dim3((N + tile - 1) / tile, (M + tile - 1) / tile), new Dim3(tile, tile), 0, null,
                   new KernelArgs().I32(M).I32(N).I32(K).F32(alpha).Ptr(da.Ptr).Ptr(db.Ptr).F32(beta).Ptr(dc.Ptr));
        gpu.Synchronize();

        // K fused multiply-adds, then alpha * acc + beta * c: at most K + 2 roundings on any path, so
        // |error| ≤ (K + 2) u (|alpha| Σ_k |a||b| + |beta| |c|).
        float[] result = dc.Read();
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double dot = 0, magnitude = 0;
                for (int k = 0; k < K; k++)
                {
                    dot += (double)a[i * K + k] * b[k * N + j];
                    magnitude += Math.Abs((double)a[i * K + k] * b[k * N + j]);
                }
                double expected = alpha * dot + beta * (double)c[i * N + j];
                double bound = (K + 2) * TestInputs.U * (Math.Abs(alpha) * magnitude + Math.Abs(beta * c[i * N + j]));
                AssertClose.Scalar(expected, result[i * N + j], $"C[{i}][{j}]", absolute: bound);
            }
    }
}
