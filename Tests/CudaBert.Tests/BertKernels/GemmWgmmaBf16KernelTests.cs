using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/hopper/gemm_wgmma_bf16.cu, on the software GPU as a compute capability 9.0 device (and on a
/// real GPU of compute capability 9.x when there is one), against the float64 triple loop on the same
/// bfloat16 values.
///
/// The bound. A product of two bfloat16 values (8-bit significands) has at most 16 significant bits,
/// so it is exact in float32: no rounding happens before the sums. What is left is k float32 additions
/// per element, in an order the PTX ISA does not specify: summed in any order (a chain, a tree, groups
/// of the k16 step added to the accumulator), k terms carry at most k − 1 roundings on each term's
/// path, so the error is within (k − 1)·u·Σ|a·b| with u = 2⁻²⁴ for rounding to nearest, and twice
/// that should the tensor cores truncate; α and β·C add a few more roundings. That is twice
/// <see cref="GemmReference.Compute"/>'s (k + 4)·u·(|α|·Σ|a·b| + |β·c|), the bound used here.
/// </summary>
[Collection(HopperOptIn.Collection)]
public class GemmWgmmaBf16KernelTests
{
    public static TheoryData<string> Devices => [TestDevices.Driver, TestDevices.Software];

    public static TheoryData<string, bool, bool> DevicesAndTransposes => GemmKernelTests.DevicesAndTransposes();

    /// <summary>A compute capability 9.x device of <paramref name="kind"/>, or the test is skipped.</summary>
    static ICudaDevice OpenHopper(string kind)
    {
        if (kind == TestDevices.Software)
            return new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true }, computeCapabilityMajor: 9);
        var gpu = TestDevices.Open(kind);
        if (gpu.Info.ComputeCapabilityMajor == 9) return gpu;
        string name = gpu.Info.Name;
        gpu.Dispose();
        Assert.Skip($"{name} is not a compute capability 9.x GPU");
        return null!;
    }

    static (ushort[] Bits, float[] Values) Bf16Inputs(int seed, int count)
    {
        var bits = Array.ConvertAll(TestInputs.NonZero(seed, count), TestInputs.ToBf16);
        return (bits, Array.ConvertAll(bits, TestInputs.FromBf16));
    }

    static int RoundUpTo8(int x) => (x + 7) / 8 * 8;

    [Theory, MemberData(nameof(DevicesAndTransposes))]
    public void EveryLayoutWithPaddedRowsEdgeTilesAndBatches(string device, bool transA, bool transB)
    {
        // None of M, N, K is a multiple of the tile (64 × 128, K slices of 64): 2 × 2 blocks, the last
        // partial along m (70: a 16-byte chunk of 6 valid m when A is M-major) and n (131: 3 valid n of
        // a chunk when B is N-major). K = 203 is 4 slices (the ring of 3 buffers wraps), the last 11
        // wide: a whole chunk and one of 3 k when an operand is K-major, 11 valid k-rows when M/N-major.
        // Rows padded past the matrix (multiples of 8 elements, as the kernel needs), ldc odd with its
        // padding checked untouched, two batch items with gaps between them.
        const int m = 70, n = 131, k = 203, batch = 2, ldc = 135;
        int lda = RoundUpTo8(transA ? m : k) + 8, ldb = RoundUpTo8(transB ? k : n) + 16;
        long strideA = (long)(transA ? k : m) * lda + 8, strideB = (long)(transB ? n : k) * ldb + 24, strideC = (long)m * ldc + 4;
        using var gpu = OpenHopper(device);
        var (aBits, a) = Bf16Inputs(180, (int)(batch * strideA));
        var (bBits, b) = Bf16Inputs(181, (int)(batch * strideB));
        float[] c = TestInputs.NonZero(182, (int)(batch * strideC));
        using DeviceArray<ushort> da = new(gpu, aBits), db = new(gpu, bBits);
        using DeviceArray<float> dc = new(gpu, c);
        const float alpha = -0.75f, beta = 1.5f;

        HopperGemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, alpha, da.Ptr, lda, strideA, db.Ptr, ldb, strideB,
            beta, dc.Ptr, ldc, strideC, cIsBFloat16: false);

        float[] result = dc.Read();
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(transA, transB, m, n, k, alpha,
                a[(int)(item * strideA)..], lda, b[(int)(item * strideB)..], ldb, beta, c[(int)(item * strideC)..], ldc);
            GemmReference.AssertMatches(expected, Array.ConvertAll(tolerance, t => 2 * t),
                result.AsSpan((int)(item * strideC), m * ldc).ToArray(), c.AsSpan((int)(item * strideC), m * ldc).ToArray(),
                m, n, ldc, $"wgmma bf16 {(transA ? "t" : "n")}{(transB ? "t" : "n")} batch item {item}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    public static TheoryData<string, GemmEpilogue> DevicesAndEpilogues()
    {
        var data = new TheoryData<string, GemmEpilogue>();
        foreach (string device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var epilogue in new[] { GemmEpilogue.None, GemmEpilogue.Bias, GemmEpilogue.BiasGelu })
                data.Add(device, epilogue);
        return data;
    }

    [Theory, MemberData(nameof(DevicesAndEpilogues))]
    public void BFloat16OutputAfterTheEpilogueIsRoundedOnce(string device, GemmEpilogue epilogue)
    {
        // A linear layer's forward pass, y = x·Wᵀ (+ bias) (then GELU), into a bfloat16 C that β ≠ 0
        // reads; W shared by both batch items (stride 0).
        const int m = 33, n = 140, k = 72, batch = 2;
        const float alpha = 1.25f, beta = -0.5f;
        using var gpu = OpenHopper(device);
        var (xBits, x) = Bf16Inputs(183, batch * m * k);
        var (wBits, w) = Bf16Inputs(184, n * k);
        var (cBits, c) = Bf16Inputs(185, batch * m * n);
        float[] bias = TestInputs.NonZero(186, n);
        using DeviceArray<ushort> dx = new(gpu, xBits), dw = new(gpu, wBits), dc = new(gpu, cBits);
        using DeviceArray<float> dbias = new(gpu, bias);

        HopperGemmBf16Kernels.Run(gpu, false, true, batch, m, n, k, alpha, dx.Ptr, k, (long)m * k, dw.Ptr, k, 0,
            beta, dc.Ptr, n, (long)m * n, cIsBFloat16: true, bias: dbias.Ptr, epilogue: epilogue);

        float[] y = Array.ConvertAll(dc.Read(), TestInputs.FromBf16);
        for (int item = 0; item < batch; item++)
        {
            var (expected, tolerance) = GemmReference.Compute(false, true, m, n, k, alpha,
                x[(item * m * k)..], k, w, k, beta, c[(item * m * n)..], n);
            for (int i = 0; i < m * n; i++)
            {
                var (want, bound) = GemmKernelTests.Epilogue(epilogue, expected[i], 2 * tolerance[i], bias[i % n]);
                // The float32 value, within `bound` of `want`, rounded to bfloat16: at most half a unit in the
                // last place of an 8-bit significand further, 2⁻⁸ of its magnitude (bfloat16's unit roundoff).
                double rounded = bound + Math.Pow(2, -8) * (Math.Abs(want) + bound);
                AssertClose.Scalar(want, y[item * m * n + i], $"y[{item}][{i / n}][{i % n}]", absolute: rounded);
            }
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(DevicesAndTransposes))]
    public void TheBackendsDispatchTakesItWhenOptedIn(string device, bool transA, bool transB)
    {
        // GemmBf16Kernels.Dispatch (what CudaBackend.Gemm calls for bfloat16 operands), opted in, on a 9.x
        // device: the result must be bit for bit the wgmma kernel's, launched directly on the same inputs.
        // On the software GPU the interpreter is deterministic, so the instruction counts must agree as
        // well — a different kernel (the mma.sync one) would not run the same number of instructions.
        const int m = 40, n = 136, k = 88, batch = 2;
        using var gpu = OpenHopper(device);
        var (aBits, a) = Bf16Inputs(187, batch * m * k);
        var (bBits, b) = Bf16Inputs(188, batch * k * n);
        using DeviceArray<ushort> da = new(gpu, aBits), db = new(gpu, bBits);
        using DeviceArray<float> viaDispatch = new(gpu, batch * m * n), direct = new(gpu, batch * m * n);

        string? before = Environment.GetEnvironmentVariable(HopperGemmKernels.OptInVariable);
        long dispatchInstructions, directInstructions;
        Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, "1");
        try
        {
            int lda = transA ? m : k, ldb = transB ? k : n;
            Assert.True(HopperGemmBf16Kernels.Chosen(gpu.Info, da.Ptr, lda, (long)m * k, db.Ptr, ldb, (long)k * n));
            long start = Instructions(gpu);
            GemmBf16Kernels.Dispatch(gpu, transA, transB, batch, m, n, k, 1f, da.Ptr, db.Ptr, 0f, viaDispatch.Ptr, cIsBFloat16: false);
            long middle = Instructions(gpu);
            HopperGemmBf16Kernels.Run(gpu, transA, transB, batch, m, n, k, 1f, da.Ptr, db.Ptr, 0f, direct.Ptr, cIsBFloat16: false);
            dispatchInstructions = middle - start;
            directInstructions = Instructions(gpu) - middle;
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, before);
        }

        Assert.Equal(direct.Read(), viaDispatch.Read());
        Assert.Equal(directInstructions, dispatchInstructions);
        GemmReference.AssertBatched(direct.Read(), transA, transB, batch, m, n, k, 1f, a, b, 0f, new float[batch * m * n], boundScale: 2);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    static long Instructions(ICudaDevice gpu) => gpu is SoftwareGpuDevice software ? software.Statistics.InstructionsExecuted : 0;

    [Fact]
    public void MisalignedOperandsOrAnAmpereDeviceKeepTheMmaSyncKernel()
    {
        using var hopper = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        using var ampere = new SoftwareGpuDevice();
        Assert.Contains("needs compute capability 9.x", HopperGemmBf16Kernels.TensorCorePath(ampere.Info));
        Assert.Contains(HopperGemmKernels.OptedIn ? "wgmma, Kernels/hopper/gemm_wgmma_bf16.cu" : $"set {HopperGemmKernels.OptInVariable}=1",
            HopperGemmBf16Kernels.TensorCorePath(hopper.Info));
        var a = new DevicePtr(1 << 20);
        var b = new DevicePtr(1 << 21);
        Assert.True(HopperGemmBf16Kernels.Supports(hopper.Info, a, 768, 768L * 128, b, 768, 0));
        Assert.False(HopperGemmBf16Kernels.Supports(ampere.Info, a, 768, 768L * 128, b, 768, 0));
        Assert.False(HopperGemmBf16Kernels.Supports(hopper.Info, a, 36, 36L * 128, b, 768, 0));   // rows 72 bytes apart
        Assert.False(HopperGemmBf16Kernels.Supports(hopper.Info, a, 768, 768L * 128 + 4, b, 768, 0));
        Assert.False(HopperGemmBf16Kernels.Supports(hopper.Info, a, 768, 768L * 128, b.Offset(8), 768, 0));
        var error = Assert.Throws<ArgumentException>(() => HopperGemmBf16Kernels.Run(hopper, false, true, 1, 4, 4, 36,
            1f, a, 36, 0, b, 36, 0, 0f, b, 4, 0, cIsBFloat16: false));
        Assert.Contains("gemm_wgmma_bf16_nt", error.Message);
        Assert.Contains("lda 36", error.Message);
    }
}
