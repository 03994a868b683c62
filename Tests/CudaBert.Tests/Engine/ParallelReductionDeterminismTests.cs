using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>
/// CPU kernels that sum over rows in parallel chunks must add the chunks' partial sums in a fixed
/// order: otherwise the last bits of a gradient depend on which thread finished first, and a
/// training run (or a resumed one) is not reproducible.
/// </summary>
public class ParallelReductionDeterminismTests
{
    [Fact]
    public void LayerNormWeightGradientsAreTheSameBitsEveryRun()
    {
        // 4096 rows of 384: many chunks on any machine with more than one core.
        var generator = new Generator(3);
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([4096, 384], generator);
        var upstream = Tensor.Normal([4096, 384], generator);
        float[]? firstGamma = null, firstBeta = null;
        for (int run = 0; run < 30; run++)
        {
            using var step = Tensor.Scope();
            var gamma = Tensor.Normal([384], generator: new Generator(4), mean: 1, std: 0.1);
            var beta = Tensor.Zeros([384]);
            gamma.RequiresGrad = true;
            beta.RequiresGrad = true;
            Ops.Sum(Ops.Mul(Ops.LayerNorm(x, gamma, beta), upstream)).Backward();
            float[] dGamma = gamma.Grad!.ToArray<float>(), dBeta = beta.Grad!.ToArray<float>();
            gamma.ZeroGrad();
            beta.ZeroGrad();
            firstGamma ??= dGamma;
            firstBeta ??= dBeta;
            Assert.True(firstGamma.AsSpan().SequenceEqual(dGamma), $"run {run}: dγ differs from run 0 in its last bits");
            Assert.True(firstBeta.AsSpan().SequenceEqual(dBeta), $"run {run}: dβ differs from run 0 in its last bits");
        }
    }
}
