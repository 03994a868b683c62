using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/mean_pool.cu against the CPU backend, with padding and an all-padding row.</summary>
public class MeanPoolKernelTests
{
    const int B = 3, S = 7, C = 300;
    const float Eps = 1e-9f;

    /// <summary>Row 0: all tokens; row 1: 4 tokens then padding; row 2: all padding (pools to 0).</summary>
    static float[] Mask()
    {
        var mask = new float[B * S];
        for (int s = 0; s < S; s++) mask[s] = 1;
        for (int s = 0; s < 4; s++) mask[S + s] = 1;
        return mask;
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ForwardMatchesTheCpu(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] h = TestInputs.NonZero(50, B * S * C), mask = Mask();
        using DeviceArray<float> dh = new(gpu, h), dm = new(gpu, mask), dy = new(gpu, B * C);

        MeanPoolKernels.Forward(gpu, dh.Ptr, dm.Ptr, dy.Ptr, B, S, C, Eps);

        var expected = Cpu.Empty(B, C);
        Cpu.Backend.MaskedMeanPool(Cpu.Tensor(h, B, S, C), Cpu.Tensor(mask, B, S), Eps, expected);
        float[] y = dy.Read();
        // ≤ 7 terms of magnitude ≤ 1/count: a few u of the largest term.
        AssertClose.Elementwise(expected.ToArray<float>(), y, "pooled", absolute: 8 * TestInputs.U);
        for (int c = 0; c < C; c++) Assert.Equal(0f, y[2 * C + c]);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // Longer sequences than the forward's 8 sequence lanes (each lane sums several positions, the last lanes
    // fewer) and a channel count that leaves a partial block of 32.
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void ForwardSplitsLongSequencesOverLanes(string device)
    {
        const int b = 2, s = 19, c = 45;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] h = TestInputs.NonZero(52, b * s * c), mask = new float[b * s];
        for (int i = 0; i < s; i++) mask[i] = 1;              // row 0: 19 tokens
        for (int i = 0; i < 13; i++) mask[s + i] = 1;         // row 1: 13 tokens, then padding
        using DeviceArray<float> dh = new(gpu, h), dm = new(gpu, mask), dy = new(gpu, b * c);

        MeanPoolKernels.Forward(gpu, dh.Ptr, dm.Ptr, dy.Ptr, b, s, c, Eps);

        var expected = Cpu.Empty(b, c);
        Cpu.Backend.MaskedMeanPool(Cpu.Tensor(h, b, s, c), Cpu.Tensor(mask, b, s), Eps, expected);
        // At most s terms of magnitude ≤ 1 and one division, in different orders: 2·(s + 1)·u absolute.
        AssertClose.Elementwise(expected.ToArray<float>(), dy.Read(), "pooled", absolute: 2 * (s + 1) * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void BackwardMatchesTheCpu(string device)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] dy = TestInputs.NonZero(51, B * C), mask = Mask();
        using DeviceArray<float> ddy = new(gpu, dy), dm = new(gpu, mask), ddh = new(gpu, B * S * C);

        MeanPoolKernels.Backward(gpu, ddy.Ptr, dm.Ptr, ddh.Ptr, B, S, C, Eps);

        var expected = Cpu.Empty(B, S, C);
        Cpu.Backend.MaskedMeanPoolBackward(Cpu.Tensor(dy, B, C), Cpu.Tensor(mask, B, S), Eps, expected);
        AssertClose.Elementwise(expected.ToArray<float>(), ddh.Read(), "dh", relative: 2 * TestInputs.U);
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
