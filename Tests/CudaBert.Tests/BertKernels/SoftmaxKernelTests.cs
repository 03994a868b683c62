using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/softmax.cu (attention's scaled masked softmax) against the CPU backend.</summary>
public class SoftmaxKernelTests
{
    // Scores [B, H, Sq, Sk], 2·3·5 = 30 rows (not a multiple of 8 rows per block); Sk = 37 (a warp and a
    // bit: the kernels that hold a row in registers) or 530 (over 512: the kernels that re-read the row).
    const int B = 2, H = 3, Sq = 5, Rows = B * H * Sq;
    const float Scale = 0.125f;

    /// <summary>Additive key mask [B, Sk]: batch 0 attends to everything, batch 1 has 9 padded keys.</summary>
    static float[] PaddingMask(int Sk)
    {
        var mask = new float[B * Sk];
        for (int j = Sk - 9; j < Sk; j++) mask[Sk + j] = -10000f;
        return mask;
    }

    // Sk ≤ 512: the register kernels, float4 when Sk % 4 == 0 and the pointers are aligned (shift: scores and
    // probs start one float into their allocations, so the scalar kernel runs); 530: the re-reading kernel.
    [Theory]
    [InlineData("software", true, 37, 0)]
    [InlineData("software", false, 37, 0)]     // no mask: a null pointer
    [InlineData("software", true, 128, 0)]     // BERT's Sk: one float4 per lane
    [InlineData("software", false, 128, 0)]
    [InlineData("software", true, 132, 0)]     // float4, the second slot only on lane 0
    [InlineData("software", true, 128, 1)]     // misaligned: scalar
    [InlineData("software", true, 530, 0)]
    [InlineData("driver", true, 37, 0)]
    [InlineData("driver", false, 37, 0)]
    [InlineData("driver", true, 132, 0)]
    [InlineData("driver", true, 128, 1)]
    [InlineData("driver", true, 530, 0)]
    public void ForwardMatchesTheCpu(string device, bool masked, int Sk, int shift)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] scores = TestInputs.NonZero(20, Rows * Sk, 16f), mask = PaddingMask(Sk);
        using DeviceArray<float> ds = new(gpu, new float[shift].Concat(scores).ToArray()), dm = new(gpu, mask), dp = new(gpu, shift + Rows * Sk);
        long skip = shift * sizeof(float);

        SoftmaxKernels.Forward(gpu, ds.Ptr.Offset(skip), masked ? dm.Ptr : DevicePtr.Null, dp.Ptr.Offset(skip), Rows, Sk, H * Sq, Scale);

        var expected = Cpu.Empty(B, H, Sq, Sk);
        Cpu.Backend.ScaledMaskedSoftmax(Cpu.Tensor(scores, B, H, Sq, Sk), masked ? Cpu.Tensor(mask, B, Sk) : null, Scale, expected);
        float[] p = dp.Read()[shift..];
        // expf is within 2 ulp; the sum of ≤ 37 terms, the reciprocal and the product add a few u more.
        AssertClose.Elementwise(expected.ToArray<float>(), p, "probs", absolute: 1e-9, relative: 1e-6);
        if (masked)
            for (int r = H * Sq; r < Rows; r++)      // padded keys get (numerically) nothing
                for (int j = Sk - 9; j < Sk; j++)
                    Assert.Equal(0f, p[r * Sk + j]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", 37)]
    [InlineData("software", 128)]     // float4
    [InlineData("software", 132)]     // float4, a partial second slot
    [InlineData("software", 530)]
    [InlineData("driver", 37)]
    [InlineData("driver", 132)]
    [InlineData("driver", 530)]
    public void BackwardMatchesTheCpu(string device, int Sk)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        var probs = Cpu.Empty(B, H, Sq, Sk);
        Cpu.Backend.ScaledMaskedSoftmax(Cpu.Tensor(TestInputs.NonZero(21, Rows * Sk, 4f), B, H, Sq, Sk), null, 1.0, probs);
        float[] p = probs.ToArray<float>(), dprobs = TestInputs.NonZero(22, Rows * Sk);
        using DeviceArray<float> dp = new(gpu, p), ddp = new(gpu, dprobs), dx = new(gpu, Rows * Sk);

        SoftmaxKernels.Backward(gpu, dp.Ptr, ddp.Ptr, dx.Ptr, Rows, Sk, Scale);

        var expected = Cpu.Empty(B, H, Sq, Sk);
        Cpu.Backend.ScaledMaskedSoftmaxBackward(probs, Cpu.Tensor(dprobs, B, H, Sq, Sk), Scale, expected);
        // dp − Σ p·dp cancels; the dot product's rounding (≤ Sk·u·max|dp|) times scale·p bounds the error.
        AssertClose.Elementwise(expected.ToArray<float>(), dx.Read(), "dscores", absolute: Scale * Sk * TestInputs.U, relative: 4 * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
