using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Gemm;
using CudaBert.Tests.Kernels;

namespace CudaBert.Tests.CudaKernels;

/// <summary>
/// Kernels/bert/gemm_tf32.cu. The reference multiplies the inputs rounded to tf32 exactly as the kernel
/// rounds them (cvt.rna), in float64; what is left is the fp32 accumulation, so the float32 GEMM bound
/// applies (doubled: the tensor core's internal accumulation order is not specified).
/// </summary>
public class GemmTf32KernelTests
{
    // Leading dimensions must be multiples of 4; none of M, N, K is a multiple of the 128×128×8 tile;
    // K = 20 is three pipeline slices, the last half empty.
    const int M = 36, N = 148, K = 20, Batch = 2;

    [Theory, MemberData(nameof(GemmKernelTests.DevicesAndTransposes), MemberType = typeof(GemmKernelTests))]
    public void BatchedProductOfTf32RoundedInputs(string device, bool transA, bool transB)
    {
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(130, Batch * M * K), b = TestInputs.NonZero(131, Batch * K * N), c = TestInputs.NonZero(132, Batch * M * N);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = 1.25f, beta = 0.5f;

        GemmKernels.Tf32(gpu, transA, transB, Batch, M, N, K, alpha, da.Ptr, db.Ptr, beta, dc.Ptr);

        float[] result = dc.Read();
        float[] a32 = Array.ConvertAll(a, TestInputs.RoundToTf32), b32 = Array.ConvertAll(b, TestInputs.RoundToTf32);
        for (int batch = 0; batch < Batch; batch++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, transB, M, N, K, alpha,
                a32.AsSpan(batch * M * K, M * K).ToArray(), transA ? M : K,
                b32.AsSpan(batch * K * N, K * N).ToArray(), transB ? K : N,
                beta, c.AsSpan(batch * M * N, M * N).ToArray(), N);
            for (int i = 0; i < M * N; i++)
                TestInputs.Near(expected[i], result[batch * M * N + i], 2 * tolerance[i], $"C[{batch}][{i / N}][{i % N}]");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void LinearLayerWithBiasGelu(string device)
    {
        using var gpu = TestDevices.Open(device);
        float[] x = TestInputs.NonZero(133, M * K), w = TestInputs.NonZero(134, N * K), bias = TestInputs.NonZero(135, N);
        using DeviceArray<float> dx = new(gpu, x), dw = new(gpu, w), dbias = new(gpu, bias), dy = new(gpu, M * N);

        GemmKernels.Tf32(gpu, false, true, 1, M, N, K, 1f, dx.Ptr, dw.Ptr, 0f, dy.Ptr, bias: dbias.Ptr, epilogue: GemmEpilogue.BiasGelu);

        var (expected, tolerance) = GemmReference.Compute(false, true, M, N, K, 1f,
            Array.ConvertAll(x, TestInputs.RoundToTf32), K, Array.ConvertAll(w, TestInputs.RoundToTf32), K, 0f, new float[M * N], N);
        float[] y = dy.Read();
        for (int i = 0; i < M * N; i++)
        {
            double pre = expected[i] + bias[i % N];
            double want = pre * 0.5 * (1 + CudaBert.Engine.Cpu.Erf.Evaluate(pre / Math.Sqrt(2)));
            double bound = 1.2 * (2 * tolerance[i] + 2 * TestInputs.U * Math.Abs(pre)) + 8 * TestInputs.U * Math.Abs(want);
            TestInputs.Near(want, y[i], bound, $"y[{i / N}][{i % N}]");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void RejectsRowsThatAreNot16ByteAligned()
    {
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var error = Assert.Throws<ArgumentException>(() =>
            GemmKernels.Tf32(gpu, false, false, 1, 4, 4, 6, 1f, new DevicePtr(16), new DevicePtr(16), 0f, new DevicePtr(16)));   // lda = K = 6
        Assert.Contains("gemm_tf32_nn", error.Message);
        Assert.False(GemmKernels.SupportsTf32(new DevicePtr(16), 6, 24, new DevicePtr(16), 4, 16));
        Assert.True(GemmKernels.SupportsTf32(new DevicePtr(16), 8, 32, new DevicePtr(32), 4, 0));
    }
}
