using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Dropout has no PyTorch fixture: PyTorch draws its mask from its own generator, so no stored
/// output could match ours. It is checked against what <c>torch.nn.functional.dropout</c>
/// promises instead: each element is zeroed with probability p, survivors are scaled by 1/(1 − p),
/// the backward pass applies the same mask and scale to the upstream gradient, p = 0 is the
/// identity, and (ours, for GPU reproducibility) the mask is a pure function of (seed, offset).
/// </summary>
public class DropoutContractTests
{
    private const int Rows = 64, Columns = 64;

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    public void ZeroesAboutPAndScalesSurvivorsByOneOverOneMinusP(double p)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([Rows, Columns], new Generator(7), dtype: DType.Float64);
        double[] input = x.ToArray<double>(), output = Ops.Dropout(x, p, seed: 1234, offset: 0).ToArray<double>();

        int dropped = 0;
        for (int i = 0; i < input.Length; i++)
        {
            if (output[i] == 0) dropped++;
            else Assert.Equal(input[i] / (1 - p), output[i], 1e-15 * Math.Abs(output[i]));
        }
        // The dropped count is Binomial(n, p): allow 5 standard deviations (a false failure has odds of ~1e-6).
        double n = input.Length, sigma = Math.Sqrt(n * p * (1 - p));
        Assert.InRange(dropped, n * p - 5 * sigma, n * p + 5 * sigma);
    }

    [Fact]
    public void BackwardAppliesTheForwardMaskAndScale()
    {
        const double p = 0.3;
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([Rows, Columns], new Generator(11), dtype: DType.Float64);
        x.RequiresGrad = true;
        var upstream = Tensor.Normal([Rows, Columns], new Generator(12), dtype: DType.Float64);
        var y = Ops.Dropout(x, p, seed: 99, offset: 4096);
        Ops.Sum(Ops.Mul(y, upstream)).Backward();

        double[] output = y.ToArray<double>(), g = upstream.ToArray<double>(), dx = x.Grad!.ToArray<double>();
        for (int i = 0; i < output.Length; i++)
            Assert.Equal(output[i] == 0 ? 0 : g[i] / (1 - p), dx[i], 1e-15 * Math.Abs(g[i] / (1 - p)));
    }

    [Fact]
    public void MaskIsAFunctionOfSeedAndOffsetOnly()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Ones([Rows, Columns], DType.Float32);
        float[] first = Ops.Dropout(x, 0.5, seed: 5, offset: 0).ToArray<float>();
        Assert.Equal(first, Ops.Dropout(x, 0.5, seed: 5, offset: 0).ToArray<float>());
        Assert.NotEqual(first, Ops.Dropout(x, 0.5, seed: 5, offset: (ulong)x.NumElements).ToArray<float>());
        Assert.NotEqual(first, Ops.Dropout(x, 0.5, seed: 6, offset: 0).ToArray<float>());
    }

    [Fact]
    public void ZeroProbabilityIsTheIdentity()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([Rows, Columns], new Generator(3));
        Assert.Equal(x.ToArray<float>(), Ops.Dropout(x, 0, seed: 1, offset: 0).ToArray<float>());
    }
}
