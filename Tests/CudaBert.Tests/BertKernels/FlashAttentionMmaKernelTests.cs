using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Kernels/bert/flash_attention_mma.cu (TF32 and bf16 tensor cores) against the CPU backend's fused attention:
/// output, log-sum-exp and the three gradients, with padded keys and dropout, on shapes that fill no tile exactly.
/// The bound is <see cref="AttentionRoundingBound"/>'s with the operands' unit roundoff.
/// </summary>
public class FlashAttentionMmaKernelTests
{
    const ulong Seed = 0x0123_4567_89ab_cdefUL, Offset = 5;
    const FlashAttentionKernels.Precision Tf32 = FlashAttentionKernels.Precision.Tf32, Bf16 = FlashAttentionKernels.Precision.Bf16;

    /// <summary>The unit roundoff of the operands: TF32 keeps 10 mantissa bits, bfloat16 7, both rounded to nearest.</summary>
    static double OperandUnit(FlashAttentionKernels.Precision precision) => precision == Bf16 ? 1.0 / (1 << 8) : 1.0 / (1 << 11);

    // Tiles: the forward and dQ take 64 query rows per block (16 per warp) and 64 keys per tile; dK/dV 64 key
    // rows per block and 32 queries per tile. 37 queries and 50 keys: one partial block and one partial tile,
    // warps with rows past the end; 70 × 130: two query blocks and three key tiles, three dK/dV blocks.
    [Theory]
    [InlineData("software", Tf32, 32, 37, 50, true, 0.0)]
    [InlineData("software", Tf32, 64, 37, 50, true, 0.1)]
    [InlineData("software", Tf32, 32, 70, 130, false, 0.2)]
    [InlineData("software", Bf16, 32, 37, 50, false, 0.1)]
    [InlineData("software", Bf16, 64, 70, 130, true, 0.0)]
    [InlineData("driver", Tf32, 32, 37, 50, true, 0.0)]
    [InlineData("driver", Tf32, 64, 37, 50, true, 0.1)]
    [InlineData("driver", Tf32, 64, 130, 200, true, 0.1)]
    [InlineData("driver", Tf32, 32, 70, 9, false, 0.2)]
    [InlineData("driver", Bf16, 64, 37, 50, true, 0.1)]
    [InlineData("driver", Bf16, 64, 130, 200, true, 0.1)]
    [InlineData("driver", Bf16, 32, 70, 9, false, 0.2)]
    public void ForwardAndBackwardMatchTheCpu(string device, FlashAttentionKernels.Precision precision, int headSize, int queries, int keys, bool masked, double p)
    {
        using var scope = Tensor.Scope();
        MatchTheCpu(device, precision, headSize, queries, keys, masked ? FusedAttentionTests.PaddingMask(2, keys, DType.Float32) : null, p);
    }

    // The mask lowers the scores of the first key tile (64 keys) by 4, so the running maximum of every row jumps
    // by about 4 at the second tile: what the first tile added to O and l must be rescaled by e^(m − m') ≈ e^−4,
    // an error of 50 times the first tile's share when it is missed, far outside either bound.
    [Theory]
    [InlineData(Tf32)]
    [InlineData(Bf16)]
    public void TheRunningMaximumRisesAcrossKeyTiles(FlashAttentionKernels.Precision precision)
    {
        const int batch = 2, keys = 100;
        using var scope = Tensor.Scope();
        var values = new float[batch * keys];
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < 64; j++) values[b * keys + j] = -4f;
        MatchTheCpu(TestDevices.Software, precision, 32, 20, keys, Cpu.Tensor(values, batch, keys), 0.1);
    }

    // With every input positive, dP_ij = m·dO_i·V_j and D_i = Σ_j m·P_ij·dP_ij are of one sign and alike, so
    // dS = P ⊙ (m·dP − D) is a difference of nearly equal terms, and a kernel that drops D (or reads another row's) is off
    // by about the magnitude of dS's terms, far outside the bound; with inputs of either sign D is a sum of cancelling
    // terms and its loss could hide inside the bf16 bound.
    [Theory]
    [InlineData(Tf32, 64, 37, 70, 0.1)]
    [InlineData(Bf16, 64, 37, 70, 0.1)]
    [InlineData(Bf16, 32, 70, 50, 0.0)]
    public void PositiveInputsMakeDTheLargerPartOfDS(FlashAttentionKernels.Precision precision, int headSize, int queries, int keys, double p)
    {
        using var scope = Tensor.Scope();
        MatchTheCpu(TestDevices.Software, precision, headSize, queries, keys, FusedAttentionTests.PaddingMask(2, keys, DType.Float32), p, positive: true);
    }

    static void MatchTheCpu(string device, FlashAttentionKernels.Precision precision, int headSize, int queries, int keys, Tensor? mask, double p,
        bool positive = false)
    {
        const int batch = 2, heads = 2;
        int width = heads * headSize;
        double scale = 1 / Math.Sqrt(headSize);
        bool masked = mask is not null;
        using var gpu = TestDevices.Open(device);
        float[] Input(int seed, int count) => positive ? Array.ConvertAll(TestInputs.NonZero(seed, count), Math.Abs) : TestInputs.NonZero(seed, count);
        float[] q = Input(120, batch * queries * width), k = Input(121, batch * keys * width),
            v = Input(122, batch * keys * width), dout = Input(123, batch * queries * width);

        // The CPU reference (float32).
        var (cq, ck, cv, cdout) = (Cpu.Tensor(q, batch, queries, width), Cpu.Tensor(k, batch, keys, width), Cpu.Tensor(v, batch, keys, width),
            Cpu.Tensor(dout, batch, queries, width));
        var (output, lse) = (Cpu.Empty(batch, queries, width), Cpu.Empty(batch, heads, queries));
        var (dq, dk, dv) = (Cpu.Empty(batch, queries, width), Cpu.Empty(batch, keys, width), Cpu.Empty(batch, keys, width));
        Cpu.Backend.FusedAttention(cq, ck, cv, mask, heads, scale, p, Seed, Offset, output, lse);
        Cpu.Backend.FusedAttentionBackward(cq, ck, cv, mask, heads, scale, p, Seed, Offset, output, lse, cdout, dq, dk, dv);

        // The kernels.
        using DeviceArray<float> gq = new(gpu, q), gk = new(gpu, k), gv = new(gpu, v), gdout = new(gpu, dout),
            gmask = new(gpu, mask?.ToArray<float>() ?? [0f]), goutput = new(gpu, q.Length), glse = new(gpu, batch * heads * queries),
            gdelta = new(gpu, batch * heads * queries), gdq = new(gpu, q.Length), gdk = new(gpu, k.Length), gdv = new(gpu, v.Length);
        var shape = new FlashAttentionKernels.Shape(batch, heads, queries, keys, headSize, (float)scale, p, Seed, Offset);
        FlashAttentionKernels.Forward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, masked ? gmask.Ptr : DevicePtr.Null, goutput.Ptr, glse.Ptr, shape,
            precision: precision);
        FlashAttentionKernels.Backward(gpu, gq.Ptr, gk.Ptr, gv.Ptr, masked ? gmask.Ptr : DevicePtr.Null, goutput.Ptr, glse.Ptr, gdout.Ptr,
            gdelta.Ptr, gdq.Ptr, gdk.Ptr, gdv.Ptr, shape, precision: precision);

        double unit = OperandUnit(precision);
        var bound = new AttentionRoundingBound(cq, ck, cv, mask, cdout, heads, scale, p, Seed, Offset, unit);
        bound.AssertWithin(output.ToArray<float>(), goutput.Read(), bound.Output, "output");
        // lse = log Σ e^z moves by at most the largest score error, 2Z·u' from the rounded operands (plus float32's).
        AssertClose.Elementwise(lse.ToArray<float>(), glse.Read(), "lse",
            absolute: bound.RoundingSteps * TestInputs.U + 2 * bound.ScoreMagnitude * unit, relative: 4 * TestInputs.U);
        bound.AssertWithin(dq.ToArray<float>(), gdq.Read(), bound.Dq, "dq");
        bound.AssertWithin(dk.ToArray<float>(), gdk.Read(), bound.Dk, "dk");
        bound.AssertWithin(dv.ToArray<float>(), gdv.Read(), bound.Dv, "dv");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // Every gradient sum has one owning warp and a fixed order of mma steps (no float atomics): two runs give the same bits.
    [Theory]
    [InlineData("software", Tf32)]
    [InlineData("software", Bf16)]
    [InlineData("driver", Tf32)]
    [InlineData("driver", Bf16)]
    public void TheBackwardIsBitReproducible(string device, FlashAttentionKernels.Precision precision)
    {
        const int batch = 2, heads = 2, queries = 37, keys = 70, headSize = 32, width = heads * headSize;
        using var gpu = TestDevices.Open(device);
        using DeviceArray<float> q = new(gpu, TestInputs.NonZero(124, batch * queries * width)), k = new(gpu, TestInputs.NonZero(125, batch * keys * width)),
            v = new(gpu, TestInputs.NonZero(126, batch * keys * width)), dout = new(gpu, TestInputs.NonZero(127, batch * queries * width)),
            output = new(gpu, batch * queries * width), lse = new(gpu, batch * heads * queries), delta = new(gpu, batch * heads * queries),
            dq = new(gpu, batch * queries * width), dk = new(gpu, batch * keys * width), dv = new(gpu, batch * keys * width);
        var shape = new FlashAttentionKernels.Shape(batch, heads, queries, keys, headSize, 0.125f, 0.1, Seed, Offset);
        FlashAttentionKernels.Forward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, shape, precision: precision);

        float[][] Run()
        {
            FlashAttentionKernels.Backward(gpu, q.Ptr, k.Ptr, v.Ptr, DevicePtr.Null, output.Ptr, lse.Ptr, dout.Ptr, delta.Ptr, dq.Ptr, dk.Ptr, dv.Ptr, shape,
                precision: precision);
            return [dq.Read(), dk.Read(), dv.Read()];
        }
        float[][] first = Run(), second = Run();
        string[] names = ["dq", "dk", "dv"];
        for (int i = 0; i < names.Length; i++) KernelAssert.BitEqual(first[i], second[i], names[i]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void AMisalignedTensorIsRefused()
    {
        using var gpu = TestDevices.Open(TestDevices.Software);
        var shape = new FlashAttentionKernels.Shape(1, 2, 4, 4, 32, 0.1f);
        var error = Assert.Throws<ArgumentException>(() =>
            FlashAttentionKernels.Forward(gpu, new DevicePtr(256), new DevicePtr(260), new DevicePtr(256), DevicePtr.Null, new DevicePtr(256), new DevicePtr(256),
                shape, precision: Tf32));
        Assert.Contains("flash_attention_forward_d32_tf32: every tensor must be 16-byte aligned", error.Message);
        Assert.Contains("0x104", error.Message);
    }
}
