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

    /// <summary>
    /// A compute capability 9.x device of <paramref name="kind"/>, or the test is skipped; the software GPU reports 3 SMs,
    /// so the kernel's persistent grid has 3 blocks and those with more than one tile go on with their ring's count running on.
    /// </summary>
    static ICudaDevice OpenHopper(string kind) => GemmWgmmaKernelTests.OpenHopper(kind, multiprocessors: 3);

    static (ushort[] Bits, float[] Values) Bf16Inputs(int seed, int count)
    {
        var bits = Array.ConvertAll(TestInputs.NonZero(seed, count), TestInputs.ToBf16);
        return (bits, Array.ConvertAll(bits, TestInputs.FromBf16));
    }

    static int RoundUpTo8(int x) => (x + 7) / 8 * 8;

    [Theory, MemberData(nameof(DevicesAndTransposes))]
    public void EveryLayoutWithPaddedRowsEdgeTilesAndBatches(string device, bool transA, bool transB)
    {
        // None of M, N, K is a multiple of the tile (128 × 128, K slices of 64): 1 × 2 tiles per batch
        // item, partial along m (70: consumer warpgroup 1 has 6 valid rows; when A is M-major, its box
        // of 64 m holds 6) and n (131: 3 valid n; when B is N-major, the second tile's second box lies
        // wholly past the edge and arrives as zeros). K = 203 is 4 slices, the last 11 wide. Two batch
        // items: 4 tiles for the 3 blocks of the persistent grid, so block 0 puts 8 slices through its
        // ring of 6 buffers, which wraps. Rows padded past the matrix (multiples of 8 elements, as the
        // tensor maps need), ldc odd with its padding checked untouched, gaps between the batch items.
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

    /// <summary>
    /// Runs the nt layout on the software GPU with the kernel's PTX changed by <paramref name="mutate"/> in the
    /// gemm_wgmma_bf16_nt entry only (the module loaded first under its name, so the launcher finds it). Returns
    /// the device, whose reports say what went wrong.
    /// </summary>
    static SoftwareGpuDevice RunMutated(Func<string, string> mutate)
    {
        const string module = "hopper/gemm_wgmma_bf16";
        var gpu = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        string ptx = Kernels.Ptx.PtxModules.Get(module);
        int start = ptx.IndexOf(".entry gemm_wgmma_bf16_nt(", StringComparison.Ordinal);
        int next = ptx.IndexOf(".entry ", start + 1, StringComparison.Ordinal);
        int end = next < 0 ? ptx.Length : next;
        string mutated = ptx[..start] + mutate(ptx[start..end]) + ptx[end..];
        Assert.NotEqual(ptx, mutated);
        gpu.LoadModule(module, mutated);
        const int m = 40, n = 24, k = 200;
        var (xBits, _) = Bf16Inputs(189, m * k);
        var (wBits, _) = Bf16Inputs(190, n * k);
        using DeviceArray<ushort> x = new(gpu, xBits), w = new(gpu, wBits);
        using DeviceArray<float> y = new(gpu, m * n);
        Assert.Throws<CudaException>(() => HopperGemmBf16Kernels.Run(gpu, false, true, 1, m, n, k, 1f, x.Ptr, w.Ptr, 0f, y.Ptr, cIsBFloat16: false));
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
    public void AProducerThatAnnouncesTooFewBytesIsReported()
    {
        // arrive.expect_tx announces 16 KB, A's box only, instead of the stage's 32 KB: "full" completes
        // while B's box is still on its way, and B's bytes land on a phase that no longer waits for them.
        using var gpu = RunMutated(ptx =>
        {
            int arrive = ptx.IndexOf(ExpectTx, StringComparison.Ordinal);
            int close = ptx.IndexOf(']', arrive), end = ptx.IndexOf(';', arrive);
            return ptx[..(close + 1)] + ", 16384" + ptx[end..];
        });
        Assert.Contains(gpu.Reports, r => r.Message.Contains("no expect_tx announced them"));
    }

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
