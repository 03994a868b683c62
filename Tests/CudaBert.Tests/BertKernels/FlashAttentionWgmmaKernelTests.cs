using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/hopper/flash_attention_wgmma.cu (the bf16 wgmma forward), on the software GPU as a compute capability 9.0
/// device (and on a real 9.x GPU when there is one), against the CPU backend's fused attention: output and lse, with
/// padded keys and dropout, on shapes that fill no tile exactly; then the bf16 mma.sync backward run on this forward's
/// output and lse (either bf16 backward reads either bf16 forward's; FlashAttentionWgmmaBackwardKernelTests runs the
/// wgmma backward on both). The bound is <see cref="AttentionRoundingBound"/>'s with bfloat16's
/// unit roundoff, as for flash_attention_mma.cu's bf16 kernels: the operands (Q, K, V, P) are rounded the same way.
/// </summary>
[Collection(HopperOptIn.Collection)]
public class FlashAttentionWgmmaKernelTests
{
    const ulong Seed = 0x0123_4567_89ab_cdefUL, Offset = 5;
    const double Bf16Unit = 1.0 / (1 << 8);
    const int Batch = 2, Heads = 2;

    /// <summary>A compute capability 9.x device of <paramref name="kind"/>, or the test is skipped.</summary>
    internal static ICudaDevice OpenHopper(string kind)
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

    // 37 queries and 50 keys: one partial block (warps with rows past the end) and one partial key tile; 70 × 130: two
    // query blocks and three key tiles, so both K/V buffers are used and refilled.
    [Theory]
    [InlineData("software", 32, 37, 50, true, 0.1)]
    [InlineData("software", 64, 37, 50, false, 0.0)]
    [InlineData("software", 64, 70, 130, true, 0.1)]
    [InlineData("software", 32, 70, 130, false, 0.2)]
    [InlineData("driver", 32, 37, 50, true, 0.1)]
    [InlineData("driver", 64, 37, 50, false, 0.0)]
    [InlineData("driver", 64, 130, 200, true, 0.1)]
    [InlineData("driver", 32, 70, 9, false, 0.2)]
    public void ForwardAndTheMmaBackwardOnItMatchTheCpu(string device, int headSize, int queries, int keys, bool masked, double p)
    {
        using var scope = Tensor.Scope();
        MatchTheCpu(device, headSize, queries, keys, masked ? FusedAttentionTests.PaddingMask(Batch, keys, DType.Float32) : null, p);
    }

    // The mask lowers the scores of the first key tile (64 keys) by 4, so the running maximum of every row jumps by about
    // 4 at the second tile: what the first tile added to O and l must be rescaled by e^(m − m') ≈ e^−4, an error of 50
    // times the first tile's share when it is missed, far outside the bound.
    [Fact]
    public void TheRunningMaximumRisesAcrossKeyTiles()
    {
        const int keys = 100;
        using var scope = Tensor.Scope();
        var values = new float[Batch * keys];
        for (int b = 0; b < Batch; b++)
            for (int j = 0; j < 64; j++) values[b * keys + j] = -4f;
        MatchTheCpu(TestDevices.Software, 64, 20, keys, Cpu.Tensor(values, Batch, keys), 0.1);
    }

    static void MatchTheCpu(string device, int headSize, int queries, int keys, Tensor? mask, double p)
    {
        int width = Heads * headSize;
        double scale = 1 / Math.Sqrt(headSize);
        bool masked = mask is not null;
        using var gpu = OpenHopper(device);
        float[] q = TestInputs.NonZero(130, Batch * queries * width), k = TestInputs.NonZero(131, Batch * keys * width),
            v = TestInputs.NonZero(132, Batch * keys * width), dout = TestInputs.NonZero(133, Batch * queries * width);

        // The CPU reference (float32).
        var (cq, ck, cv, cdout) = (Cpu.Tensor(q, Batch, queries, width), Cpu.Tensor(k, Batch, keys, width), Cpu.Tensor(v, Batch, keys, width),
            Cpu.Tensor(dout, Batch, queries, width));
        var (output, lse) = (Cpu.Empty(Batch, queries, width), Cpu.Empty(Batch, Heads, queries));
        var (dq, dk, dv) = (Cpu.Empty(Batch, queries, width), Cpu.Empty(Batch, keys, width), Cpu.Empty(Batch, keys, width));
        Cpu.Backend.FusedAttention(cq, ck, cv, mask, Heads, scale, p, Seed, Offset, output, lse);
        Cpu.Backend.FusedAttentionBackward(cq, ck, cv, mask, Heads, scale, p, Seed, Offset, output, lse, cdout, dq, dk, dv);

        // The wgmma forward, then the mma.sync bf16 backward on its output and lse.
        using DeviceArray<float> gq = new(gpu, q), gk = new(gpu, k), gv = new(gpu, v), gdout = new(gpu, dout),
            gmask = new(gpu, mask?.ToArray<float>() ?? [0f]), goutput = new(gpu, q.Length), glse = new(gpu, Batch * Heads * queries),
            gdelta = new(gpu, Batch * Heads * queries), gdq = new(gpu, q.Length), gdk = new(gpu, k.Length), gdv = new(gpu, v.Length);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, (float)scale, p, Seed, Offset);
        HopperFlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, masked ? gmask.Ptr : DevicePtr.Null, goutput.Ptr, glse.Ptr, shape);
        FlashAttentionKernels.Backward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, masked ? gmask.Ptr : DevicePtr.Null, goutput.Ptr, glse.Ptr, gdout.Ptr,
            gdelta.Ptr, gdq.Ptr, gdk.Ptr, gdv.Ptr, shape, precision: FlashAttentionKernels.Precision.Bf16);

        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cdout, Heads, scale, p, Seed, Offset, Bf16Unit);
        bound.AssertWithin(output.ToArray<float>(), goutput.Read(), bound.Output, "output");
        // lse = log Σ e^z moves by at most the largest score error, 2Z·u' from the rounded operands (plus float32's).
        AssertClose.Elementwise(lse.ToArray<float>(), glse.Read(), "lse",
            absolute: bound.RoundingSteps * TestInputs.U + 2 * bound.ScoreMagnitude * Bf16Unit, relative: 4 * TestInputs.U);
        bound.AssertWithin(dq.ToArray<float>(), gdq.Read(), bound.Dq, "dq");
        bound.AssertWithin(dk.ToArray<float>(), gdk.Read(), bound.Dk, "dk");
        bound.AssertWithin(dv.ToArray<float>(), gdv.Read(), bound.Dv, "dv");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // Mixing is safe when the two bf16 forwards are interchangeable to the backward: each is within the bound of the exact
    // result, so the two are within twice the bound of each other (the triangle inequality), and lse within twice its
    // tolerance. Both round the same operands to bfloat16; they differ in the order of the fp32 sums, hence in which
    // probabilities round up or down. Dropout and the mask on, two key tiles.
    [Fact]
    public void TheWgmmaAndMmaForwardsAgreeWithinTwiceTheBound()
    {
        const int headSize = 64, queries = 37, keys = 100, width = Heads * headSize;
        const double p = 0.1;
        double scale = 1 / Math.Sqrt(headSize);
        using var scope = Tensor.Scope();
        var mask = FusedAttentionTests.PaddingMask(Batch, keys, DType.Float32);
        using var gpu = OpenHopper(TestDevices.Software);
        float[] q = TestInputs.NonZero(134, Batch * queries * width), k = TestInputs.NonZero(135, Batch * keys * width),
            v = TestInputs.NonZero(136, Batch * keys * width);
        using DeviceArray<float> gq = new(gpu, q), gk = new(gpu, k), gv = new(gpu, v), gmask = new(gpu, mask.ToArray<float>()),
            wgmmaOutput = new(gpu, q.Length), wgmmaLse = new(gpu, Batch * Heads * queries),
            mmaOutput = new(gpu, q.Length), mmaLse = new(gpu, Batch * Heads * queries);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, (float)scale, p, Seed, Offset);
        HopperFlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, gmask.Ptr, wgmmaOutput.Ptr, wgmmaLse.Ptr, shape);
        FlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, gmask.Ptr, mmaOutput.Ptr, mmaLse.Ptr, shape, precision: FlashAttentionKernels.Precision.Bf16);

        var (cq, ck, cv) = (Cpu.Tensor(q, Batch, queries, width), Cpu.Tensor(k, Batch, keys, width), Cpu.Tensor(v, Batch, keys, width));
        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cq, Heads, scale, p, Seed, Offset, Bf16Unit);
        float[] wgmma = wgmmaOutput.Read(), mma = mmaOutput.Read();
        for (int i = 0; i < wgmma.Length; i++)
        {
            double twice = 2 * (2 * bound.RoundingSteps * TestInputs.U + bound.OperandSteps * Bf16Unit) * bound.Output[i];
            Assert.True(Math.Abs((double)wgmma[i] - mma[i]) <= twice, $"output[{i}]: wgmma {wgmma[i]:R}, mma {mma[i]:R}, apart by more than {twice:G3}");
        }
        AssertClose.Elementwise(mmaLse.Read(), wgmmaLse.Read(), "lse",
            absolute: 2 * (bound.RoundingSteps * TestInputs.U + 2 * bound.ScoreMagnitude * Bf16Unit), relative: 8 * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // FlashAttentionKernels.Dispatch (what CudaBackend.FusedAttention calls) in bf16: on a 9.x device opted in it must
    // give the wgmma kernel's bits and run its instructions (the software GPU is deterministic, so the counts tell the
    // kernels apart); not opted in, or on an 8.x device, the mma.sync kernel's. TF32 stays on mma.sync either way.
    [Theory]
    [InlineData(9, true, true)]
    [InlineData(9, false, false)]
    [InlineData(8, true, false)]
    public void TheBackendsDispatchTakesItOnAHopperDeviceWhenOptedIn(int major, bool optIn, bool wgmmaExpected)
    {
        const int headSize = 32, queries = 20, keys = 30, width = Heads * headSize;
        const FlashAttentionKernels.Precision bf16 = FlashAttentionKernels.Precision.Bf16, tf32 = FlashAttentionKernels.Precision.Tf32;
        using var gpu = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: major);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(137, Batch * queries * width)), k = new(gpu, TestInputs.NonZero(138, Batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(139, Batch * keys * width)), viaDispatch = new(gpu, Batch * queries * width),
            direct = new(gpu, Batch * queries * width), lse = new(gpu, Batch * Heads * queries), directLse = new(gpu, Batch * Heads * queries);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, 0.125f, 0.1, Seed, Offset);
        long Instructions(Action launch)
        {
            long before = gpu.Statistics.InstructionsExecuted;
            launch();
            return gpu.Statistics.InstructionsExecuted - before;
        }

        string? before = Environment.GetEnvironmentVariable(HopperGemmKernels.OptInVariable);
        long dispatchInstructions, directInstructions, tf32Dispatch, tf32Direct;
        Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, optIn ? "1" : null);
        try
        {
            Assert.Equal(wgmmaExpected, HopperFlashAttentionKernels.Chosen(gpu.Info));
            Assert.Contains(wgmmaExpected ? "wgmma, Kernels/hopper/flash_attention_wgmma.cu" : "mma.sync, Kernels/bert/flash_attention_mma.cu",
                HopperFlashAttentionKernels.TensorCorePath(gpu.Info));
            tf32Dispatch = Instructions(() => FlashAttentionKernels.Dispatch(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, direct.Ptr, directLse.Ptr, shape, precision: tf32));
            tf32Direct = Instructions(() => FlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, direct.Ptr, directLse.Ptr, shape, precision: tf32));
            dispatchInstructions = Instructions(() =>
                FlashAttentionKernels.Dispatch(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, viaDispatch.Ptr, lse.Ptr, shape, precision: bf16));
            directInstructions = Instructions(() =>
            {
                if (wgmmaExpected) HopperFlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, direct.Ptr, directLse.Ptr, shape);
                else FlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, direct.Ptr, directLse.Ptr, shape, precision: bf16);
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, before);
        }

        Assert.Equal(tf32Direct, tf32Dispatch);
        Assert.Equal(directInstructions, dispatchInstructions);
        KernelAssert.BitEqual(direct.Read(), viaDispatch.Read(), "output");
        KernelAssert.BitEqual(directLse.Read(), lse.Read(), "lse");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // A CUDA graph replays the kernel with the offset it was captured with; the host moves the dropout stream on by
    // rewriting the number OffsetShift points to. Offset 5 shifted by 1000 must draw what offset 1005 draws, and not
    // what offset 5 draws.
    [Fact]
    public void TheOffsetShiftMovesTheDropoutStream()
    {
        const int headSize = 32, queries = 20, keys = 30, width = Heads * headSize;
        using var gpu = OpenHopper(TestDevices.Software);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(140, Batch * queries * width)), k = new(gpu, TestInputs.NonZero(141, Batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(142, Batch * keys * width)), output = new(gpu, Batch * queries * width), lse = new(gpu, Batch * Heads * queries);
        using DeviceArray<ulong> shift = new(gpu, [1000UL]);
        float[] Run(ulong offset, DevicePtr offsetShift)
        {
            var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, 0.125f, 0.3, Seed, offset, offsetShift);
            HopperFlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, shape);
            return output.Read();
        }
        float[] shifted = Run(5, shift.Ptr), moved = Run(1005, DevicePtr.Null), unshifted = Run(5, DevicePtr.Null);
        KernelAssert.BitEqual(moved, shifted, "output");
        Assert.False(unshifted.AsSpan().SequenceEqual(shifted), "the shift changed nothing");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void AnAmpereDeviceOrAMisalignedTensorIsRefusedByName()
    {
        var shape = new FlashAttentionKernels.Shape(1, 2, 4, 4, 64, 0.1f);
        using var ampere = new SoftwareGpuDevice();
        var wrongDevice = Assert.Throws<NotSupportedException>(() => HopperFlashAttentionKernels.Forward(ampere, new DevicePtr(256), new DevicePtr(256),
            new DevicePtr(256), DevicePtr.Null, new DevicePtr(256), new DevicePtr(256), shape));
        Assert.Contains("flash_attention_forward_d64_wgmma_bf16: needs a compute capability 9.x GPU", wrongDevice.Message);
        using var hopper = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var misaligned = Assert.Throws<ArgumentException>(() => HopperFlashAttentionKernels.Forward(hopper, new DevicePtr(256), new DevicePtr(264),
            new DevicePtr(256), DevicePtr.Null, new DevicePtr(256), new DevicePtr(256), shape));
        Assert.Contains("flash_attention_forward_d64_wgmma_bf16: every tensor must be 16-byte aligned", misaligned.Message);
    }
}
