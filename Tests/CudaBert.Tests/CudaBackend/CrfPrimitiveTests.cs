using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>The linear-chain CRF loss and gradient of <see cref="CudaBackend"/> (Kernels/bert/crf.cu) against the CPU backend.</summary>
[Collection(CudaBackendCollection.Name)]
public class CrfPrimitiveTests(CudaTestDevice device)
{
    static readonly CpuBackend Cpu = CpuBackend.Instance;
    const int Padding = -100;

    // 37 tags: one warp and 5 threads of a second, which only join the barriers. Ragged lengths 5, 2, 1.
    const int Batch = 3, Words = 5, Tags = 37;
    static readonly int[] RaggedTags = [4, 36, 0, 0, 17, 36, 5, Padding, Padding, Padding, 9, Padding, Padding, Padding, Padding];

    [Fact]
    public void LossAndGradientsMatchTheCpu()
    {
        using var scope = Tensor.Scope();
        float[] emissions = NonZero(40, Batch * Words * Tags, 4f), transitions = NonZero(41, Tags * Tags), start = NonZero(42, Tags), end = NonZero(43, Tags);
        Tensor ce = CpuVsCuda.Cpu(emissions, Batch, Words, Tags), ct = CpuVsCuda.Cpu(RaggedTags, Batch, Words);
        Tensor ca = CpuVsCuda.Cpu(transitions, Tags, Tags), cs = CpuVsCuda.Cpu(start, Tags), cf = CpuVsCuda.Cpu(end, Tags);
        Tensor ge = ce.To(Device.Cuda), gt = ct.To(Device.Cuda), ga = ca.To(Device.Cuda), gs = cs.To(Device.Cuda), gf = cf.To(Device.Cuda);
        const double scale = 1.0 / Batch;

        Tensor closs = Tensor.Empty([]), gloss = Tensor.Empty([], device: Device.Cuda);
        Cpu.CrfNegativeLogLikelihood(ce, ct, ca, cs, cf, scale, closs);
        device.Backend.CrfNegativeLogLikelihood(ge, gt, ga, gs, gf, scale, gloss);
        // The CPU sums in float64, the GPU in float32 over W rounds of T-term logsumexps. Measured on the
        // software GPU: the loss (11.87) the same float32, gradients within 2.4e-7 (demissions), 6e-8
        // (dtransitions), 1.1e-7 (dstart, dend). The bounds, 1e-6 relative and 2e-6 absolute, are far
        // below a single pair marginal here (g/T² ≈ 4e-4), so a dropped or misplaced term fails.
        AssertClose.Scalar(closs.Item(), gloss.Item(), "crf loss", relative: 1e-6);

        Tensor dloss = Tensor.Scalar(1.7);
        Tensor cde = Tensor.Empty([Batch, Words, Tags]), cdA = Tensor.Empty([Tags, Tags]), cds = Tensor.Empty([Tags]), cdf = Tensor.Empty([Tags]);
        Tensor gde = Tensor.Empty([Batch, Words, Tags], device: Device.Cuda), gdA = Tensor.Empty([Tags, Tags], device: Device.Cuda);
        Tensor gds = Tensor.Empty([Tags], device: Device.Cuda), gdf = Tensor.Empty([Tags], device: Device.Cuda);
        Cpu.CrfNegativeLogLikelihoodBackward(ce, ct, ca, cs, cf, scale, dloss, cde, cdA, cds, cdf);
        device.Backend.CrfNegativeLogLikelihoodBackward(ge, gt, ga, gs, gf, scale, dloss.To(Device.Cuda), gde, gdA, gds, gdf);
        const double gradientBound = 2e-6;
        AssertClose.Elementwise(cde, gde, "demissions", absolute: gradientBound);
        AssertClose.Elementwise(cds, gds, "dstart", absolute: gradientBound);
        AssertClose.Elementwise(cdf, gdf, "dend", absolute: gradientBound);
        AssertClose.Elementwise(cdA, gdA, "dtransitions", absolute: gradientBound);
        Assert.All(gde.ToArray<float>().Where((_, i) => RaggedTags[i / Tags] == Padding), v => Assert.Equal(0f, v));
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void AnAllPaddingRowMakesTheLossNaN()
    {
        using var scope = Tensor.Scope();
        var emissions = Gpu(NonZero(44, 2 * 2 * 3), 2, 2, 3);
        var tags = Gpu([1, 2, Padding, Padding], 2, 2);
        Tensor transitions = Gpu(NonZero(45, 9), 3, 3), start = Gpu(NonZero(46, 3), 3), end = Gpu(NonZero(47, 3), 3);
        var loss = Tensor.Empty([], device: Device.Cuda);
        device.Backend.CrfNegativeLogLikelihood(emissions, tags, transitions, start, end, 0.5, loss);
        Assert.True(double.IsNaN(loss.Item()), $"loss {loss.Item()}, expected NaN for the all-padding row 1");
        device.AssertNoSanitizerFindings();
    }
}
