using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/hopper/gemm_wgmma_tf32_transposed.cu — the layouts whose M- or N-major operands are transposed on
/// chip before wgmma reads them — on the software GPU as a compute capability 9.0 device (and on a real GPU of
/// compute capability 9.x when there is one). As in <see cref="GemmWgmmaKernelTests"/>, the reference multiplies
/// the operands truncated to TF32 in float64 and allows twice the float32 GEMM bound.
/// </summary>
[Collection(HopperOptIn.Collection)]
public class GemmWgmmaTransposedKernelTests
{
    /// <summary>Every device with the three layouts of the kernel: "nn" (dX = dY·W), "tn" (dW = dYᵀ·X), "tt".</summary>
    public static TheoryData<string, bool, bool> DevicesAndLayouts()
    {
        var data = new TheoryData<string, bool, bool>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var (transA, transB) in new[] { (false, false), (true, false), (true, true) })
                data.Add(device, transA, transB);
        return data;
    }

    [Theory, MemberData(nameof(DevicesAndLayouts))]
    public void PaddedRowsEdgeTilesAndAPartialChunk(string device, bool transA, bool transB)
    {
        // None of M, N, K is a multiple of the tile (128 × 128, K slices of 32): 2 × 2 tiles per item, the
        // last ones partial along m and n, where the tensor copies of an M/N-major operand fill the staging
        // columns past the edge with zeros, which the transposition carries into the K-major rows. K = 165 is
        // 6 slices, so the ring of 3 stages wraps twice per tile and the last slice is 5 rows of K deep. Rows
        // padded past the matrix as stored (ldc's padding checked untouched), two batch items: 8 tiles for the
        // 3 blocks of the persistent grid, the ring's count running on from tile to tile.
        const int m = 140, n = 131, k = 165, batch = 2, ldc = 135;
        int lda = transA ? 148 : 168, ldb = transB ? 172 : 136;            // stored K×M or M×K; N×K or K×N
        int rowsA = transA ? k : m, rowsB = transB ? n : k;
        long strideA = (long)rowsA * lda + 4, strideB = (long)rowsB * ldb + 8, strideC = (long)m * ldc + 4;
        using var gpu = GemmWgmmaKernelTests.OpenHopper(device);
        float[] a = TestInputs.NonZero(150, (int)(batch * strideA)), b = TestInputs.NonZero(151, (int)(batch * strideB)),
            c = TestInputs.NonZero(152, (int)(batch * strideC));
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);
        const float alpha = -0.75f, beta = 1.5f;

        HopperGemmKernels.Tf32(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, lda, strideA, db.Ptr, ldb, strideB, beta, dc.Ptr, ldc, strideC);

        float[] result = dc.Read();
        float[] a19 = Array.ConvertAll(a, GemmWgmmaKernelTests.TruncateToTf32), b19 = Array.ConvertAll(b, GemmWgmmaKernelTests.TruncateToTf32);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha,
                a19.AsSpan((int)(item * strideA), rowsA * lda).ToArray(), lda,
                b19.AsSpan((int)(item * strideB), rowsB * ldb).ToArray(), ldb,
                beta, c.AsSpan((int)(item * strideC), m * ldc).ToArray(), ldc);
            GemmReference.AssertMatches(expected, Array.ConvertAll(tolerance, t => 2 * t),
                result.AsSpan((int)(item * strideC), m * ldc).ToArray(), c.AsSpan((int)(item * strideC), m * ldc).ToArray(),
                m, n, ldc, $"wgmma {(transA ? 't' : 'n')}{(transB ? 't' : 'n')} batch item {item}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    public static TheoryData<string, bool, GemmEpilogue> DevicesGradientsAndEpilogues()
    {
        var data = new TheoryData<string, bool, GemmEpilogue>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (bool transA in new[] { false, true })
                foreach (var epilogue in new[] { GemmEpilogue.Bias, GemmEpilogue.BiasGelu })
                    data.Add(device, transA, epilogue);
        return data;
    }

    [Theory, MemberData(nameof(DevicesGradientsAndEpilogues))]
    public void BackwardLayoutsThroughGemmKernelsRun(string device, bool transA, GemmEpilogue epilogue)
    {
        // What the backend calls for a Linear layer's gradients, B shared by both batch items: dX = dY·W ("nn",
        // transA false) and dYᵀ·X ("tn"). Opted in on compute capability 9.x, GemmKernels.Run takes the transposing
        // wgmma kernel (the truncated-operand product, which the Ampere kernel's rounded operands would miss); the
        // epilogues ride along as for X·Wᵀ. M = 36: a stored K×M operand's rows must be whole 16-byte units for
        // the tensor copies (else Run takes the SIMT kernel).
        const int m = 36, n = 140, k = 52, batch = 2;
        using var gpu = GemmWgmmaKernelTests.OpenHopper(device);
        float[] a = TestInputs.NonZero(153, batch * m * k), b = TestInputs.NonZero(154, k * n), bias = TestInputs.NonZero(155, n);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dbias = new(gpu, bias), dc = new(gpu, batch * m * n);

        string? before = Environment.GetEnvironmentVariable(HopperGemmKernels.OptInVariable);
        Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, "1");
        try
        {
            Assert.True(HopperGemmKernels.Chosen(gpu.Info));
            GemmKernels.Run(gpu, allowTf32: true, transA, false, batch, m, n, k, 1f, da.Ptr, db.Ptr, 0f, dc.Ptr,
                broadcastB: true, bias: dbias.Ptr, epilogue: epilogue);
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, before);
        }

        float[] result = dc.Read();
        float[] a19 = Array.ConvertAll(a, GemmWgmmaKernelTests.TruncateToTf32), b19 = Array.ConvertAll(b, GemmWgmmaKernelTests.TruncateToTf32);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, false, m, n, k, 1f,
                a19.AsSpan(item * m * k, m * k).ToArray(), transA ? m : k, b19, n, 0f, new float[m * n], n);
            for (int i = 0; i < m * n; i++)
            {
                var (want, bound) = GemmKernelTests.Epilogue(epilogue, expected[i], 2 * tolerance[i], bias[i % n]);
                AssertClose.Scalar(want, result[item * m * n + i], $"c[{item}][{i / n}][{i % n}]", absolute: bound);
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void WithoutTheNamedBarrierAWarpgroupMultipliesTheOthersRowsUnfinished()
    {
        // The consumers' bar.sync 1, 256 taken out of "nn": a warpgroup's wgmma reads B rows that the other
        // warpgroup is still transposing into place, which the software GPU's race check reports.
        const string module = "hopper/gemm_wgmma_tf32_transposed";
        using var gpu = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        string ptx = Kernels.Ptx.PtxModules.Get(module), mutated = ptx.Replace("bar.sync 1, 256;", "");
        Assert.NotEqual(ptx, mutated);
        gpu.LoadModule(module, mutated);
        const int m = 40, n = 24, k = 100;
        using DeviceArray<float> a = new(gpu, TestInputs.NonZero(156, m * k)), b = new(gpu, TestInputs.NonZero(157, k * n)), c = new(gpu, m * n);
        HopperGemmKernels.Tf32(gpu, false, false, 1, m, n, k, 1f, a.Ptr, k, 0, b.Ptr, n, 0, 0f, c.Ptr, n, 0);
        var race = Assert.Single(gpu.Reports);
        Assert.Equal(SanitizerCheck.SharedRace, race.Check);
        Assert.Equal("gemm_wgmma_tf32_nn", race.Kernel);
        Assert.StartsWith("wgmma", race.Instruction);
    }
}
