using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Gemm;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/gemm_simt.cu against the float64 triple loop with the float32 rounding-error bound.</summary>
public class GemmKernelTests
{
    // Not multiples of the 128×128×8 tile: partial tiles in every direction, two tiles along N, two K steps.
    const int M = 37, N = 150, K = 13, Batch = 2;

    public static TheoryData<string, bool, bool> DevicesAndTransposes()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (bool transA in new[] { false, true })
                foreach (bool transB in new[] { false, true })
                    data.Add(device, transA, transB);
        return data;
    }

    [Theory, MemberData(nameof(DevicesAndTransposes))]
    public void BatchedProductWithAlphaBeta(string device, bool transA, bool transB)
    {
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(120, Batch * M * K), b = TestInputs.NonZero(121, Batch * K * N), c = TestInputs.NonZero(122, Batch * M * N);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = 0.75f, beta = -0.5f;

        GemmKernels.Simt(gpu, transA, transB, Batch, M, N, K, alpha, da.Ptr, db.Ptr, beta, dc.Ptr);

        GemmReference.AssertBatched(dc.Read(), transA, transB, Batch, M, N, K, alpha, a, b, beta, c);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", GemmEpilogue.Bias)]
    [InlineData("software", GemmEpilogue.BiasGelu)]
    [InlineData("driver", GemmEpilogue.Bias)]
    [InlineData("driver", GemmEpilogue.BiasGelu)]
    public void LinearLayerEpiloguesWithSharedWeights(string device, GemmEpilogue epilogue)
    {
        // A Linear layer: y = x·Wᵀ + bias (W is [N, K], shared by both batch items), optionally GELU'd.
        using var gpu = TestDevices.Open(device);
        float[] x = TestInputs.NonZero(123, Batch * M * K), w = TestInputs.NonZero(124, N * K), bias = TestInputs.NonZero(125, N);
        using DeviceArray<float> dx = new(gpu, x), dw = new(gpu, w), dbias = new(gpu, bias), dy = new(gpu, Batch * M * N);

        GemmKernels.Simt(gpu, false, true, Batch, M, N, K, 1f, dx.Ptr, dw.Ptr, 0f, dy.Ptr, broadcastB: true, bias: dbias.Ptr, epilogue: epilogue);

        float[] y = dy.Read();
        for (int batch = 0; batch < Batch; batch++)
        {
            // beta = 0: C is never read, so the NaN-filled output buffer must not leak into the result.
            var (expected, tolerance) = GemmReference.Compute(false, true, M, N, K, 1f,
                x.AsSpan(batch * M * K, M * K).ToArray(), K, w, K, 0f, new float[M * N], N);
            for (int i = 0; i < M * N; i++)
            {
                var (want, bound) = Epilogue(epilogue, expected[i], tolerance[i], bias[i % N]);
                AssertClose.Scalar(want, y[batch * M * N + i], $"y[{batch}][{i / N}][{i % N}]", absolute: bound);
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    /// <summary>
    /// What a GEMM epilogue must write for one element, and its error bound: <paramref name="product"/>
    /// (within <paramref name="productBound"/>) plus the bias, one more rounding; with GELU, that bound
    /// grown by GELU's slope (≤ 1.13) plus erff's 2 ulp and the last roundings.
    /// </summary>
    internal static (double Want, double Bound) Epilogue(GemmEpilogue epilogue, double product, double productBound, float bias)
    {
        double pre = product + (epilogue == GemmEpilogue.None ? 0 : bias);
        double bound = productBound + 2 * TestInputs.U * Math.Abs(pre);
        if (epilogue != GemmEpilogue.BiasGelu)
            return (pre, bound);
        double want = pre * 0.5 * (1 + CudaBert.Engine.Cpu.Erf.Evaluate(pre / Math.Sqrt(2)));
        return (want, 1.2 * bound + 8 * TestInputs.U * Math.Abs(want));
    }

    [Fact]
    public void RejectsAnEpilogueWithoutBias()
    {
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var error = Assert.Throws<ArgumentNullException>(() =>
            GemmKernels.Simt(gpu, false, false, 1, 2, 2, 2, 1f, new DevicePtr(8), new DevicePtr(8), 0f, new DevicePtr(8), epilogue: GemmEpilogue.Bias));
        Assert.Contains("gemm_simt_f32", error.Message);
    }
}
