using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>
/// The CPU kernels split work over threads only above a size threshold, so the small inputs of the
/// gradient checks run them on one thread. These inputs are large enough to be split; the
/// references are plain loops over the definitions, in float64.
/// </summary>
public class ParallelKernelTests
{
    private const int Rows = 300, Columns = 130;

    private static Tensor Leaf(Shape shape, ulong seed)
    {
        var t = Tensor.Normal(shape, new Generator(seed), dtype: DType.Float64);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void BiasGradientIsTheColumnSumOfTheUpstreamGradient()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([Rows, Columns], 1);
        var bias = Leaf([Columns], 2);
        var upstream = Tensor.Normal([Rows, Columns], new Generator(3), dtype: DType.Float64);
        Ops.Sum(Ops.AddBias(x, bias) * upstream).Backward();
        var u = upstream.ToArray<double>();
        var grad = bias.Grad!.ToArray<double>();
        for (int j = 0; j < Columns; j++)
            AssertClose.Scalar(Enumerable.Range(0, Rows).Sum(r => u[r * Columns + j]), grad[j], $"grad[{j}]", absolute: 1e-11);
    }

    [Fact]
    public void LayerNormBackwardMatchesTheClosedForm()
    {
        using var scope = Tensor.Scope();
        var x = Leaf([Rows, Columns], 4);
        var gamma = Leaf([Columns], 5);
        var beta = Leaf([Columns], 6);
        var upstream = Tensor.Normal([Rows, Columns], new Generator(7), dtype: DType.Float64);
        Ops.Sum(Ops.LayerNorm(x, gamma, beta, 1e-5) * upstream).Backward();

        double[] xs = x.ToArray<double>(), dy = upstream.ToArray<double>(), g = gamma.ToArray<double>();
        var dx = new double[xs.Length];
        var dgamma = new double[Columns];
        var dbeta = new double[Columns];
        for (int r = 0; r < Rows; r++)
        {
            var row = xs.AsSpan(r * Columns, Columns).ToArray();
            double mean = row.Average(), rstd = 1 / Math.Sqrt(row.Average(v => (v - mean) * (v - mean)) + 1e-5);
            var xhat = row.Select(v => (v - mean) * rstd).ToArray();
            var gh = Enumerable.Range(0, Columns).Select(j => dy[r * Columns + j] * g[j]).ToArray();
            double meanG = gh.Average(), meanGX = gh.Zip(xhat, (a, b) => a * b).Average();
            for (int j = 0; j < Columns; j++)
            {
                dx[r * Columns + j] = rstd * (gh[j] - meanG - xhat[j] * meanGX);
                dgamma[j] += dy[r * Columns + j] * xhat[j];
                dbeta[j] += dy[r * Columns + j];
            }
        }
        AssertClose.Elementwise(dx, x.Grad!.ToArray<double>(), "dx", absolute: 1e-12, relative: 1e-12);
        AssertClose.Elementwise(dgamma, gamma.Grad!.ToArray<double>(), "dgamma", absolute: 1e-11, relative: 1e-11);
        AssertClose.Elementwise(dbeta, beta.Grad!.ToArray<double>(), "dbeta", absolute: 1e-11, relative: 1e-11);
    }

    [Fact]
    public void SoftmaxRowsSumToOneAndFollowTheirMaskRow()
    {
        using var scope = Tensor.Scope();
        int batch = 4, heads = 6, queries = 20, keys = 64;
        var scores = Tensor.Normal([batch, heads, queries, keys], new Generator(8), dtype: DType.Float64);
        var maskValues = new double[batch * keys];
        for (int b = 0; b < batch; b++)
            for (int k = keys - 5 * b; k < keys; k++) maskValues[b * keys + k] = -10000;   // batch b pads its last 5b keys
        var probs = Ops.ScaledMaskedSoftmax(scores, Tensor.FromArray(maskValues, [batch, keys]), 0.3).ToArray<double>();
        var s = scores.ToArray<double>();
        for (int row = 0; row < batch * heads * queries; row++)
        {
            int b = row / (heads * queries);
            var logits = Enumerable.Range(0, keys).Select(k => s[row * keys + k] * 0.3 + maskValues[b * keys + k]).ToArray();
            double max = logits.Max(), z = logits.Sum(v => Math.Exp(v - max));
            for (int k = 0; k < keys; k++) AssertClose.Scalar(Math.Exp(logits[k] - max) / z, probs[row * keys + k], $"probs[{row * keys + k}]", absolute: 1e-15);
        }
    }

    [Fact]
    public void GeluOfALargeTensorMatchesElementByElement()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([Rows, Columns + 1], new Generator(9), 0, 3, DType.Float32);
        var y = Ops.Gelu(x).ToArray<float>();
        var xs = x.ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            double expected = xs[i] * 0.5 * (1 + CudaBert.Engine.Cpu.Erf.Evaluate(xs[i] / Math.Sqrt(2)));
            AssertClose.Scalar(expected, y[i], $"GELU({xs[i]:R})", absolute: 1e-7 * Math.Abs(xs[i]));   // float32 Φ: see Float32NormalCdfTests
        }
    }
}
