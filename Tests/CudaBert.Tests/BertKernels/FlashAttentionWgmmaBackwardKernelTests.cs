using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/hopper/flash_attention_wgmma_backward.cu (the bf16 wgmma dQ and dK/dV passes), on the software GPU as a
/// compute capability 9.0 device (and on a real 9.x GPU when there is one), against the CPU backend's fused attention
/// backward: dQ, dK, dV with padded keys and dropout, on shapes that fill no tile exactly, from the out and lse of either
/// bf16 forward. The bound is <see cref="AttentionRoundingBound"/>'s with bfloat16's unit roundoff, as for
/// flash_attention_mma.cu's bf16 backward: the same operands (Q, K, V, dO, P, dS) are rounded.
/// </summary>
[Collection(HopperOptIn.Collection)]
public class FlashAttentionWgmmaBackwardKernelTests
{
    const ulong Seed = 0x0123_4567_89ab_cdefUL, Offset = 5;
    const double Bf16Unit = 1.0 / (1 << 8);
    const int Batch = 2, Heads = 2;
    const FlashAttentionKernels.Precision Bf16 = FlashAttentionKernels.Precision.Bf16;

    // 37 queries and 50 keys: one partial block in each pass (warps with rows past the end) and one partial tile;
    // 70 × 130: the dQ pass streams three key tiles through both buffers, the dK/dV pass two query tiles over three blocks.
    [Theory]
    [InlineData("software", 32, 37, 50, true, 0.1, true)]
    [InlineData("software", 64, 37, 50, false, 0.0, false)]
    [InlineData("software", 64, 70, 130, true, 0.1, false)]
    [InlineData("software", 32, 70, 130, false, 0.2, true)]
    [InlineData("software", 64, 70, 130, false, 0.0, true)]
    [InlineData("driver", 32, 37, 50, true, 0.1, true)]
    [InlineData("driver", 64, 37, 50, false, 0.0, false)]
    [InlineData("driver", 64, 130, 200, true, 0.1, true)]
    [InlineData("driver", 32, 70, 9, false, 0.2, false)]
    public void GradientsMatchTheCpu(string device, int headSize, int queries, int keys, bool masked, double p, bool wgmmaForward)
    {
        using var scope = Tensor.Scope();
        MatchTheCpu(device, headSize, queries, keys, masked, p, wgmmaForward, positive: false);
    }

    // With every input positive, dP_ij = m·dO_i·V_j and D_i = Σ_j m·P_ij·dP_ij are of one sign and alike, so dS = P ⊙ (m·dP − D)
    // is a difference of nearly equal terms: the gradients are small against their magnitudes, and a kernel that drops D
    // (or takes another row's) is off by about the magnitude, far outside the bound. With inputs of either sign, as above,
    // D is a sum of cancelling terms and its loss could hide inside the bound.
    [Theory]
    [InlineData(64, 37, 70, 0.1)]
    [InlineData(32, 70, 50, 0.0)]
    public void PositiveInputsMakeDTheLargerPartOfDS(int headSize, int queries, int keys, double p)
    {
        using var scope = Tensor.Scope();
        MatchTheCpu(TestDevices.Software, headSize, queries, keys, true, p, wgmmaForward: true, positive: true);
    }

    static void MatchTheCpu(string device, int headSize, int queries, int keys, bool masked, double p, bool wgmmaForward, bool positive)
    {
        var mask = masked ? FusedAttentionTests.PaddingMask(Batch, keys, DType.Float32) : null;
        int width = Heads * headSize;
        double scale = 1 / Math.Sqrt(headSize);
        using var gpu = FlashAttentionWgmmaKernelTests.OpenHopper(device);
        float[] Input(int seed, int count) => positive ? Array.ConvertAll(TestInputs.NonZero(seed, count), Math.Abs) : TestInputs.NonZero(seed, count);
        float[] q = Input(150, Batch * queries * width), k = Input(151, Batch * keys * width),
            v = Input(152, Batch * keys * width), dout = Input(153, Batch * queries * width);

        // The CPU reference (float32).
        var (cq, ck, cv, cdout) = (Cpu.Tensor(q, Batch, queries, width), Cpu.Tensor(k, Batch, keys, width), Cpu.Tensor(v, Batch, keys, width),
            Cpu.Tensor(dout, Batch, queries, width));
        var (output, lse) = (Cpu.Empty(Batch, queries, width), Cpu.Empty(Batch, Heads, queries));
        var (dq, dk, dv) = (Cpu.Empty(Batch, queries, width), Cpu.Empty(Batch, keys, width), Cpu.Empty(Batch, keys, width));
        Cpu.Backend.FusedAttention(cq, ck, cv, mask, Heads, scale, p, Seed, Offset, output, lse);
        Cpu.Backend.FusedAttentionBackward(cq, ck, cv, mask, Heads, scale, p, Seed, Offset, output, lse, cdout, dq, dk, dv);

        // A bf16 forward (wgmma or mma.sync), then the wgmma backward on its output and lse.
        using DeviceArray<float> gq = new(gpu, q), gk = new(gpu, k), gv = new(gpu, v), gdout = new(gpu, dout),
            gmask = new(gpu, mask?.ToArray<float>() ?? [0f]), goutput = new(gpu, q.Length), glse = new(gpu, Batch * Heads * queries),
            gdelta = new(gpu, Batch * Heads * queries), gdq = new(gpu, q.Length), gdk = new(gpu, k.Length), gdv = new(gpu, v.Length);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, (float)scale, p, Seed, Offset);
        var maskPointer = masked ? gmask.Ptr : DevicePtr.Null;
        if (wgmmaForward) HopperFlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, maskPointer, goutput.Ptr, glse.Ptr, shape);
        else FlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, maskPointer, goutput.Ptr, glse.Ptr, shape, precision: Bf16);
        HopperFlashAttentionKernels.Backward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, maskPointer, goutput.Ptr, glse.Ptr, gdout.Ptr,
            gdelta.Ptr, gdq.Ptr, gdk.Ptr, gdv.Ptr, shape);

        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cdout, Heads, scale, p, Seed, Offset, Bf16Unit);
        bound.AssertWithin(dq.ToArray<float>(), gdq.Read(), bound.Dq, "dq");
        bound.AssertWithin(dk.ToArray<float>(), gdk.Read(), bound.Dk, "dk");
        bound.AssertWithin(dv.ToArray<float>(), gdv.Read(), bound.Dv, "dv");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // The two bf16 backwards round the same operands and differ in the order of their fp32 sums (hence in which P and
    // dS round up or down): each is within the bound of the exact gradients, so they are within twice the bound of each
    // other (the triangle inequality). Both read the same forward's out and lse; mask and dropout on, several tiles.
    [Fact]
    public void TheWgmmaAndMmaBackwardsAgreeWithinTwiceTheBound()
    {
        const int headSize = 64, queries = 70, keys = 100, width = Heads * headSize;
        const double p = 0.1;
        double scale = 1 / Math.Sqrt(headSize);
        using var scope = Tensor.Scope();
        var mask = FusedAttentionTests.PaddingMask(Batch, keys, DType.Float32);
        using var gpu = FlashAttentionWgmmaKernelTests.OpenHopper(TestDevices.Software);
        float[] q = TestInputs.NonZero(154, Batch * queries * width), k = TestInputs.NonZero(155, Batch * keys * width),
            v = TestInputs.NonZero(156, Batch * keys * width), dout = TestInputs.NonZero(157, Batch * queries * width);
        using DeviceArray<float> gq = new(gpu, q), gk = new(gpu, k), gv = new(gpu, v), gdout = new(gpu, dout), gmask = new(gpu, mask.ToArray<float>()),
            output = new(gpu, q.Length), lse = new(gpu, Batch * Heads * queries), delta = new(gpu, Batch * Heads * queries),
            wgmmaDq = new(gpu, q.Length), wgmmaDk = new(gpu, k.Length), wgmmaDv = new(gpu, v.Length),
            mmaDq = new(gpu, q.Length), mmaDk = new(gpu, k.Length), mmaDv = new(gpu, v.Length);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, (float)scale, p, Seed, Offset);
        FlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, gmask.Ptr, output.Ptr, lse.Ptr, shape, precision: Bf16);
        HopperFlashAttentionKernels.Backward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, gmask.Ptr, output.Ptr, lse.Ptr, gdout.Ptr, delta.Ptr,
            wgmmaDq.Ptr, wgmmaDk.Ptr, wgmmaDv.Ptr, shape);
        FlashAttentionKernels.Backward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, gmask.Ptr, output.Ptr, lse.Ptr, gdout.Ptr, delta.Ptr,
            mmaDq.Ptr, mmaDk.Ptr, mmaDv.Ptr, shape, precision: Bf16);

        var (cq, ck, cv, cdout) = (Cpu.Tensor(q, Batch, queries, width), Cpu.Tensor(k, Batch, keys, width), Cpu.Tensor(v, Batch, keys, width),
            Cpu.Tensor(dout, Batch, queries, width));
        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cdout, Heads, scale, p, Seed, Offset, Bf16Unit);
        double twice = 2 * (2 * bound.RoundingSteps * TestInputs.U + bound.OperandSteps * Bf16Unit);
        foreach (var (name, wgmma, mma, magnitude) in new[] { ("dq", wgmmaDq, mmaDq, bound.Dq), ("dk", wgmmaDk, mmaDk, bound.Dk), ("dv", wgmmaDv, mmaDv, bound.Dv) })
        {
            float[] a = wgmma.Read(), b = mma.Read();
            for (int i = 0; i < a.Length; i++)
                Assert.True(Math.Abs((double)a[i] - b[i]) <= twice * magnitude[i],
                    $"{name}[{i}]: wgmma {a[i]:R}, mma {b[i]:R}, apart by more than {twice * magnitude[i]:G3}");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // FlashAttentionKernels.DispatchBackward (what CudaBackend.FusedAttentionBackward calls) in bf16: on a 9.x device
    // opted in it must give the wgmma backward's bits and run its instructions (the software GPU is deterministic, so the
    // counts tell the kernels apart); not opted in, or on an 8.x device, the mma.sync backward's. TF32 stays on mma.sync.
    [Theory]
    [InlineData(9, true, true)]
    [InlineData(9, false, false)]
    [InlineData(8, true, false)]
    public void TheBackendsDispatchTakesItOnAHopperDeviceWhenOptedIn(int major, bool optIn, bool wgmmaExpected)
    {
        const int headSize = 32, queries = 20, keys = 30, width = Heads * headSize;
        const FlashAttentionKernels.Precision tf32 = FlashAttentionKernels.Precision.Tf32;
        using var gpu = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: major);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(158, Batch * queries * width)), k = new(gpu, TestInputs.NonZero(159, Batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(160, Batch * keys * width)), dout = new(gpu, TestInputs.NonZero(161, Batch * queries * width)),
            output = new(gpu, Batch * queries * width), lse = new(gpu, Batch * Heads * queries), delta = new(gpu, Batch * Heads * queries),
            dq = new(gpu, Batch * queries * width), dk = new(gpu, Batch * keys * width), dv = new(gpu, Batch * keys * width),
            directDq = new(gpu, Batch * queries * width), directDk = new(gpu, Batch * keys * width), directDv = new(gpu, Batch * keys * width);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, 0.125f, 0.1, Seed, Offset);
        FlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, shape, precision: Bf16);
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
            tf32Dispatch = Instructions(() => FlashAttentionKernels.DispatchBackward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr,
                dout.Ptr, delta.Ptr, directDq.Ptr, directDk.Ptr, directDv.Ptr, shape, precision: tf32));
            tf32Direct = Instructions(() => FlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr,
                dout.Ptr, delta.Ptr, directDq.Ptr, directDk.Ptr, directDv.Ptr, shape, precision: tf32));
            dispatchInstructions = Instructions(() => FlashAttentionKernels.DispatchBackward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr,
                lse.Ptr, dout.Ptr, delta.Ptr, dq.Ptr, dk.Ptr, dv.Ptr, shape, precision: Bf16));
            directInstructions = Instructions(() =>
            {
                if (wgmmaExpected)
                    HopperFlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, dout.Ptr, delta.Ptr,
                        directDq.Ptr, directDk.Ptr, directDv.Ptr, shape);
                else
                    FlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, dout.Ptr, delta.Ptr,
                        directDq.Ptr, directDk.Ptr, directDv.Ptr, shape, precision: Bf16);
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable(HopperGemmKernels.OptInVariable, before);
        }

        Assert.Equal(tf32Direct, tf32Dispatch);
        Assert.Equal(directInstructions, dispatchInstructions);
        KernelAssert.BitEqual(directDq.Read(), dq.Read(), "dq");
        KernelAssert.BitEqual(directDk.Read(), dk.Read(), "dk");
        KernelAssert.BitEqual(directDv.Read(), dv.Read(), "dv");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // A CUDA graph replays the passes with the offset they were captured with; the host moves the dropout stream on by
    // rewriting the number OffsetShift points to. Offset 5 shifted by 1000 must give the gradients of offset 1005, and
    // not those of offset 5. The forward's output and lse stay those of offset 1005 throughout.
    [Fact]
    public void TheOffsetShiftMovesTheDropoutStream()
    {
        const int headSize = 32, queries = 20, keys = 30, width = Heads * headSize;
        using var gpu = FlashAttentionWgmmaKernelTests.OpenHopper(TestDevices.Software);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(162, Batch * queries * width)), k = new(gpu, TestInputs.NonZero(163, Batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(164, Batch * keys * width)), dout = new(gpu, TestInputs.NonZero(165, Batch * queries * width)),
            output = new(gpu, Batch * queries * width), lse = new(gpu, Batch * Heads * queries), delta = new(gpu, Batch * Heads * queries),
            dq = new(gpu, Batch * queries * width), dk = new(gpu, Batch * keys * width), dv = new(gpu, Batch * keys * width);
        using DeviceArray<ulong> shift = new(gpu, [1000UL]);
        FlashAttentionKernels.Shape Shape(ulong offset, DevicePtr offsetShift) =>
            new(Batch, Heads, queries, keys, headSize, 0.125f, 0.3, Seed, offset, offsetShift);
        HopperFlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, Shape(1005, DevicePtr.Null));
        float[][] Run(ulong offset, DevicePtr offsetShift)
        {
            HopperFlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, dout.Ptr, delta.Ptr,
                dq.Ptr, dk.Ptr, dv.Ptr, Shape(offset, offsetShift));
            return [dq.Read(), dk.Read(), dv.Read()];
        }
        float[][] shifted = Run(5, shift.Ptr), moved = Run(1005, DevicePtr.Null), unshifted = Run(5, DevicePtr.Null);
        string[] names = ["dq", "dk", "dv"];
        for (int i = 0; i < names.Length; i++)
        {
            KernelAssert.BitEqual(moved[i], shifted[i], names[i]);
            Assert.False(unshifted[i].AsSpan().SequenceEqual(shifted[i]), $"{names[i]}: the shift changed nothing");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // Every gradient row has one owning warpgroup and a fixed order of wgmma steps (no float atomics): two runs, the same bits.
    [Theory]
    [InlineData("software")]
    [InlineData("driver")]
    public void TheBackwardIsBitReproducible(string device)
    {
        const int queries = 37, keys = 70, headSize = 32, width = Heads * headSize;
        using var gpu = FlashAttentionWgmmaKernelTests.OpenHopper(device);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(166, Batch * queries * width)), k = new(gpu, TestInputs.NonZero(167, Batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(168, Batch * keys * width)), dout = new(gpu, TestInputs.NonZero(169, Batch * queries * width)),
            output = new(gpu, Batch * queries * width), lse = new(gpu, Batch * Heads * queries), delta = new(gpu, Batch * Heads * queries),
            dq = new(gpu, Batch * queries * width), dk = new(gpu, Batch * keys * width), dv = new(gpu, Batch * keys * width);
        var shape = new FlashAttentionKernels.Shape(Batch, Heads, queries, keys, headSize, 0.125f, 0.1, Seed, Offset);
        HopperFlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, shape);
        float[][] Run()
        {
            HopperFlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, dout.Ptr, delta.Ptr,
                dq.Ptr, dk.Ptr, dv.Ptr, shape);
            return [dq.Read(), dk.Read(), dv.Read()];
        }
        float[][] first = Run(), second = Run();
        string[] names = ["dq", "dk", "dv"];
        for (int i = 0; i < names.Length; i++) KernelAssert.BitEqual(first[i], second[i], names[i]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void AnAmpereDeviceOrAMisalignedTensorIsRefusedByName()
    {
        var shape = new FlashAttentionKernels.Shape(1, 2, 4, 4, 64, 0.1f);
        var aligned = new DevicePtr(256);
        using var ampere = new SoftwareGpuDevice();
        var wrongDevice = Assert.Throws<NotSupportedException>(() => HopperFlashAttentionKernels.Backward(ampere, aligned, aligned, aligned,
            DevicePtr.Null, aligned, aligned, aligned, aligned, aligned, aligned, aligned, shape));
        Assert.Contains("flash_attention_backward_dq_d64_wgmma_bf16: needs a compute capability 9.x GPU", wrongDevice.Message);
        using var hopper = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var misaligned = Assert.Throws<ArgumentException>(() => HopperFlashAttentionKernels.Backward(hopper, aligned, aligned, aligned,
            DevicePtr.Null, aligned, aligned, new DevicePtr(264), aligned, aligned, aligned, aligned, shape));
        Assert.Contains("flash_attention_backward_dq_d64_wgmma_bf16: every tensor must be 16-byte aligned", misaligned.Message);
    }
}
