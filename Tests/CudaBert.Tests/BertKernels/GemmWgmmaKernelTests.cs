using CudaBert.Kernels.Device;
using CudaBert.Kernels.Driver;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/hopper/gemm_wgmma_tf32.cu, on the software GPU as a compute capability 9.0 device (and on a
/// real GPU of compute capability 9.x when there is one). The tensor cores read TF32 operands by
/// truncation (the top 19 bits of each float in shared memory); the reference multiplies the inputs
/// truncated the same way in float64, so what is left is the fp32 accumulation and the float32 GEMM
/// bound applies (doubled: the tensor core's accumulation order is not specified).
/// </summary>
[Collection(HopperOptIn.Collection)]
public class GemmWgmmaKernelTests
{
    public static TheoryData<string> Devices => [TestDevices.Driver, TestDevices.Software];

    /// <summary>
    /// A compute capability 9.x device of <paramref name="kind"/>, or the test is skipped. The software GPU reports
    /// <paramref name="multiprocessors"/> SMs: the kernel's persistent grid has that many blocks, each walking several tiles.
    /// </summary>
    internal static ICudaDevice OpenHopper(string kind, int multiprocessors = 3)
    {
        if (kind == TestDevices.Software)
            return new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true }, computeCapabilityMajor: 9,
                multiprocessors: multiprocessors);
        var gpu = TestDevices.Open(kind);
        if (gpu.Info.ComputeCapabilityMajor == 9) return gpu;
        string name = gpu.Info.Name;
        gpu.Dispose();
        Assert.Skip($"{name} is not a compute capability 9.x GPU");
        return null!;
    }

    internal static float TruncateToTf32(float x) => BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(x) & 0xFFFF_E000);

    [Theory, MemberData(nameof(Devices))]
    public void PaddedRowsEdgeTilesAndAPartialChunk(string device)
    {
        // None of M, N, K is a multiple of the tile (128 × 128, K slices of 32): 2 × 2 blocks, the
        // last ones partial along m and n (the tensor copies fill the rows past the edge with zeros).
        // K = 165 is 6 slices, so the ring of 4 buffers wraps and its barriers go through a second
        // phase; the last slice is 5 wide. Rows padded past the matrix (lda = 168, ldb = 172, ldc = 135
        // with the padding checked untouched), two batch items: 8 tiles for the 3 blocks of the
        // persistent grid, so blocks go on to their second and third tile with the ring's count running on.
        const int m = 140, n = 131, k = 165, batch = 2, lda = 168, ldb = 172, ldc = 135;
        long strideA = (long)m * lda + 4, strideB = (long)n * ldb + 8, strideC = (long)m * ldc + 4;
        using var gpu = OpenHopper(device);
        float[] a = TestInputs.NonZero(140, (int)(batch * strideA)), b = TestInputs.NonZero(141, (int)(batch * strideB)),
            c = TestInputs.NonZero(142, (int)(batch * strideC));
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = -0.75f, beta = 1.5f;

        HopperGemmKernels.Tf32(gpu, false, true, batch, m, n, k, alpha, da.Ptr, lda, strideA, db.Ptr, ldb, strideB, beta, dc.Ptr, ldc, strideC);

        float[] result = dc.Read();
        float[] a19 = Array.ConvertAll(a, TruncateToTf32), b19 = Array.ConvertAll(b, TruncateToTf32);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(false, true, m, n, k, alpha,
                a19.AsSpan((int)(item * strideA), m * lda).ToArray(), lda,
                b19.AsSpan((int)(item * strideB), n * ldb).ToArray(), ldb,
                beta, c.AsSpan((int)(item * strideC), m * ldc).ToArray(), ldc);
            GemmReference.AssertMatches(expected, Array.ConvertAll(tolerance, t => 2 * t),
                result.AsSpan((int)(item * strideC), m * ldc).ToArray(), c.AsSpan((int)(item * strideC), m * ldc).ToArray(),
                m, n, ldc, $"wgmma batch item {item}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    public static TheoryData<string, GemmEpilogue> DevicesAndEpilogues()
    {
        var data = new TheoryData<string, GemmEpilogue>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var epilogue in new[] { GemmEpilogue.Bias, GemmEpilogue.BiasGelu })
                data.Add(device, epilogue);
        return data;
    }

    [Theory, MemberData(nameof(DevicesAndEpilogues))]
    public void LinearLayerThroughGemmKernelsRun(string device, GemmEpilogue epilogue)
    {
        // What the backend calls for a Linear layer: y = x·Wᵀ + bias (W shared by both batch items).
        // On compute capability 9.x, opted in, GemmKernels.Run takes the wgmma kernel: the result must be
        // the truncated-operand product, which the Ampere kernel's rounded operands would miss. (Tests of
        // one class run one at a time, and the variable matters only to 9.x devices, which only this class opens.)
        const int m = 33, n = 140, k = 52, batch = 2;
        using var gpu = OpenHopper(device);
        float[] x = TestInputs.NonZero(143, batch * m * k), w = TestInputs.NonZero(144, n * k), bias = TestInputs.NonZero(145, n);
        using DeviceArray<float> dx = new(gpu, x), dw = new(gpu, w), dbias = new(gpu, bias), dy = new(gpu, batch * m * n);

        string? before = Environment.GetEnvironmentVariable(HopperGemmKernels.OptInVariable);
        Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, "1");
        try
        {
            Assert.True(HopperGemmKernels.Chosen(gpu.Info));
            GemmKernels.Run(gpu, allowTf32: true, false, true, batch, m, n, k, 1f, dx.Ptr, dw.Ptr, 0f, dy.Ptr,
                broadcastB: true, bias: dbias.Ptr, epilogue: epilogue);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, before);
        }

        float[] y = dy.Read();
        float[] x19 = Array.ConvertAll(x, TruncateToTf32), w19 = Array.ConvertAll(w, TruncateToTf32);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(false, true, m, n, k, 1f,
                x19.AsSpan(item * m * k, m * k).ToArray(), k, w19, k, 0f, new float[m * n], n);
            for (int i = 0; i < m * n; i++)
            {
                var (want, bound) = GemmKernelTests.Epilogue(epilogue, expected[i], 2 * tolerance[i], bias[i % n]);
                AssertClose.Scalar(want, y[item * m * n + i], $"y[{item}][{i / n}][{i % n}]", absolute: bound);
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    /// <summary>
    /// Runs the launcher on the software GPU with the kernel's PTX changed by <paramref name="mutate"/> (loaded
    /// first under the module's name, so the launcher finds it): K = 200 is 7 slices, so the ring wraps.
    /// Returns the device, whose reports say what went wrong.
    /// </summary>
    static SoftwareGpuDevice RunMutated(Func<string, string> mutate)
    {
        const string module = "hopper/gemm_wgmma_tf32";
        var gpu = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        string ptx = Kernels.Ptx.PtxModules.Get(module), mutated = mutate(ptx);
        Assert.NotEqual(ptx, mutated);
        gpu.LoadModule(module, mutated);
        const int m = 40, n = 24, k = 200;
        using DeviceArray<float> a = new(gpu, TestInputs.NonZero(146, m * k)), b = new(gpu, TestInputs.NonZero(147, n * k)), c = new(gpu, m * n);
        Assert.Throws<CudaException>(() => HopperGemmKernels.Tf32(gpu, false, true, 1, m, n, k, 1f, a.Ptr, k, 0, b.Ptr, k, 0, 0f, c.Ptr, n, 0));
        return gpu;
    }

    const string ExpectTx = "mbarrier.arrive.expect_tx.shared::cta.b64 _, [";

    [Fact]
    public void AProducerWaitingOnTheWrongParityIsADeadlock()
    {
        // The producer's wait on "empty" (the last try_wait before its arrive.expect_tx) asks for the
        // other parity: in round 0 it waits for a release that only comes after the buffer was filled.
        using var gpu = RunMutated(ptx =>
        {
            int wait = ptx.LastIndexOf("mbarrier.try_wait.parity.shared::cta.b64", ptx.IndexOf(ExpectTx, StringComparison.Ordinal), StringComparison.Ordinal);
            int end = ptx.IndexOf(';', wait);
            int comma = ptx.LastIndexOf(',', end);
            string parity = ptx[(comma + 1)..end].Trim();
            return ptx[..wait] + $".reg .b32 flipped;\nxor.b32 flipped, {parity}, 1;\n" + ptx[wait..(comma + 1)] + " flipped" + ptx[end..];
        });
        var report = Assert.Single(gpu.Reports);
        Assert.Equal(SanitizerCheck.Deadlock, report.Check);
        Assert.Contains("waits on the mbarrier", report.Message);
    }

    [Fact]
    public void AProducerThatAnnouncesNoBytesIsReported()
    {
        // A plain arrive instead of arrive.expect_tx: "full" completes before the tensor copies land.
        using var gpu = RunMutated(ptx =>
        {
            int arrive = ptx.IndexOf(ExpectTx, StringComparison.Ordinal);
            int close = ptx.IndexOf(']', arrive), end = ptx.IndexOf(';', arrive);
            return ptx[..arrive] + "mbarrier.arrive.shared::cta.b64 _, [" + ptx[(arrive + ExpectTx.Length)..(close + 1)] + ptx[end..];
        });
        Assert.Contains(gpu.Reports, r => r.Message.Contains("no expect_tx announced them"));
    }

    [Fact]
    public void AnAmpereDeviceCannotLoadTheSm90aModule()
    {
        using var gpu = new SoftwareGpuDevice();
        var error = Assert.Throws<CudaException>(() => gpu.LoadModule("hopper/gemm_wgmma_tf32", Kernels.Ptx.PtxModules.Get("hopper/gemm_wgmma_tf32")));
        Assert.Equal("CUDA_ERROR_NO_BINARY_FOR_GPU", error.ErrorName);
        Assert.Contains("sm_90a", error.Message);
        Assert.False(HopperGemmKernels.Supports(gpu.Info));
        Assert.Contains("gemm_tf32.cu", HopperGemmKernels.TensorCorePath(gpu.Info));
    }

    [Fact]
    public void AHopperDeviceTakesItOnlyWhenOptedIn()
    {
        using var gpu = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        Assert.True(HopperGemmKernels.Supports(gpu.Info));
        Assert.Contains("gemm_wgmma_tf32.cu", HopperGemmKernels.TensorCorePath(gpu.Info));
        Assert.Contains("gemm_wgmma_tf32_transposed.cu", HopperGemmKernels.TensorCorePath(gpu.Info));
        if (HopperGemmKernels.OptedIn) return;   // the GPU session may opt in for the whole run
        // Until opted in, GemmKernels.Run keeps the Ampere kernel on Hopper too, and info says how to opt in.
        Assert.False(HopperGemmKernels.Chosen(gpu.Info));
        Assert.Contains($"set {HopperGemmKernels.OptInVariable}=1", HopperGemmKernels.TensorCorePath(gpu.Info));
    }
}
