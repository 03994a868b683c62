using CudaBert.Engine;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Tests.TorchFixtures;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The whole multi-task model against PyTorch (see <see cref="MultiTaskBertFixture"/>): the same
/// parameters, loaded by their Hugging Face names, must give the same logits, losses, gradients and,
/// after 3 AdamW steps with two parameter groups, the same parameters (float64, scale-relative 1e-12).
/// </summary>
public class MultiTaskBertVsTorchTests
{
    [Fact]
    public void EveryParameterLoadsByItsHuggingFaceName()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out var report);
        Assert.Empty(report.Missing);
        Assert.All(report.Unexpected, name => Assert.Contains(MultiTaskBertFixture.NonParameterPrefixes, prefix => name.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Equal(model.NamedParameters().Count(), report.Loaded.Count);
        Assert.All(report.Loaded, entry => Assert.Equal(entry.Parameter, entry.Tensor));
    }

    [Fact]
    public void LogitsAndLossesMatchPyTorch()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        var outputs = Forward(fixture, model);
        var loss = Loss(fixture, model, outputs);
        fixture.AssertMatches("out/sentence_logits", outputs.SentenceLogits);
        fixture.AssertMatches("out/token_logits", outputs.TokenLogits);
        fixture.AssertMatches("out/sentence_loss", loss.SentenceLoss!);
        fixture.AssertMatches("out/token_loss", loss.TokenLoss!);
        fixture.AssertMatches("out/loss", loss.Total);
    }

    [Fact]
    public void EveryParameterGradientMatchesPyTorch()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        Loss(fixture, model, Forward(fixture, model)).Total.Backward();
        double noise = RoundingNoiseBound(fixture);
        foreach (var (name, parameter) in model.NamedParameters())
        {
            var grad = parameter.Grad ?? throw new Xunit.Sdk.XunitException($"'{name}' got no gradient");
            if (!MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name))
                fixture.AssertMatches("grad/" + name, grad);
            else
            {
                Assert.True(grad.ToDoubleArray().Max(Math.Abs) <= noise, $"'{name}' should have a zero gradient up to rounding");
                Assert.True(fixture.File.ReadFloat64("grad/" + name).Max(Math.Abs) <= noise, $"PyTorch's '{name}' should have a zero gradient up to rounding");
            }
        }
    }

    [Fact]
    public void ThreeAdamWStepsWithTwoParameterGroupsMatchPyTorch()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var groups = fixture.Groups.Select(g => new ParameterGroup(g.Parameters.Select(n => parameters[n]), g.LearningRate, g.WeightDecay));
        using var optimizer = new AdamW(groups, fixture.Beta1, fixture.Beta2, fixture.Eps);
        for (int step = 1; step <= fixture.Steps; step++)
        {
            using var scope = Tensor.Scope();
            optimizer.ZeroGrad();
            var loss = Loss(fixture, model, Forward(fixture, model)).Total;
            fixture.AssertMatches($"step{step}/loss", loss);
            loss.Backward();
            optimizer.Step();
        }
        foreach (var (name, parameter) in parameters)
        {
            if (!MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name))
            {
                fixture.AssertMatches($"after{fixture.Steps}/{name}", parameter);
                continue;
            }
            // Adam turns a gradient g into a step of at most lr·|g|/eps, so two sides whose rounding
            // noise stays under the bound differ by at most 2·steps·lr·bound/eps, on top of the weight decay both apply alike.
            double lr = fixture.Groups.Single(g => g.Parameters.Contains(name)).LearningRate;
            double drift = 2 * fixture.Steps * lr * RoundingNoiseBound(fixture) / fixture.Eps;
            double scale = fixture.File.ReadFloat64($"after{fixture.Steps}/{name}").Max(Math.Abs);
            fixture.AssertMatches($"after{fixture.Steps}/{name}", parameter, relative: drift / scale);
        }
    }

    /// <summary>How large float64 rounding noise may be in a gradient: 1e-12 of the model's largest gradient.</summary>
    private static double RoundingNoiseBound(MultiTaskBertFixture fixture) => TorchTolerance.Float64 * fixture.GradientScale;

    internal static MultiTaskOutput Forward(MultiTaskBertFixture fixture, MultiTaskBert model) =>
        model.Forward(fixture.Indices("batch/input_ids"), fixture.Indices("batch/attention_mask"), fixture.Indices("batch/token_type_ids"));

    internal static MultiTaskLoss Loss(MultiTaskBertFixture fixture, MultiTaskBert model, MultiTaskOutput outputs) =>
        model.Loss(outputs, fixture.Indices("batch/sentence_labels"), fixture.Indices("batch/token_labels"), fixture.SentenceWeight, fixture.TokenWeight);
}
