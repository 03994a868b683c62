using CudaBert.Engine;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.Bert;

/// <summary>
/// Gradient flow through the multi-task model on the PyTorch fixture's batch and weights: every
/// trainable parameter learns, a frozen encoder costs nothing, and a task without labels is absent.
/// </summary>
public class MultiTaskBertTrainingTests
{
    /// <summary>Key biases excepted: their gradient is zero in exact arithmetic (see <see cref="MultiTaskBertFixture.HasZeroGradientInExactArithmetic"/>).</summary>
    [Fact]
    public void EveryTrainableParameterReceivesANonZeroGradient()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        var outputs = MultiTaskBertVsTorchTests.Forward(fixture, model);
        MultiTaskBertVsTorchTests.Loss(fixture, model, outputs).Total.Backward();
        foreach (var (name, parameter) in model.NamedParameters())
        {
            Assert.True(parameter.Grad is not null, $"'{name}' got no gradient");
            if (MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name)) continue;
            double largest = parameter.Grad!.ToDoubleArray().Max(Math.Abs);
            Assert.True(largest > 1e-6, $"'{name}' got a gradient of at most {largest:E2}");
        }
    }

    [Fact]
    public void AFrozenEncoderGetsNoGradientAndRecordsNoBackwardWork()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        model.Encoder.Freeze();
        using var scope = Tensor.Scope();
        var outputs = MultiTaskBertVsTorchTests.Forward(fixture, model);
        var loss = MultiTaskBertVsTorchTests.Loss(fixture, model, outputs);

        // Nothing of the encoder is on the tape: its output is a plain tensor, and the only nodes are
        // the heads' (linear, their dropout is off), the two losses and their weighting.
        Assert.False(outputs.LastHiddenState.RequiresGrad);
        Assert.Null(outputs.LastHiddenState.GradFn);
        var recorded = GraphInspection.Nodes(loss.Total).Select(n => n.Name).Order().ToArray();
        Assert.Equal(["add", "cross_entropy", "cross_entropy", "linear", "linear", "scale", "scale"], recorded);

        loss.Total.Backward();
        Assert.All(model.Encoder.NamedParameters(), p => Assert.Null(p.Parameter.Grad));
        Assert.All(new[] { model.Classifier, model.TokenClassifier }.SelectMany(h => h.Parameters()), p => Assert.NotNull(p.Grad));
    }

    [Fact]
    public void ABatchWithOnlySentenceLabelsHasNoTokenLossAndNoTokenHeadGradient()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        var outputs = MultiTaskBertVsTorchTests.Forward(fixture, model);
        var loss = model.Loss(outputs, fixture.Indices("batch/sentence_labels"), null, fixture.SentenceWeight, fixture.TokenWeight);
        Assert.Null(loss.TokenLoss);
        // PyTorch's sentence loss, weighted: the absent token loss adds nothing, not even a zero.
        AssertClose.Scalar(fixture.SentenceWeight * fixture.File.ReadFloat64("out/sentence_loss")[0], loss.Total.Item(), "loss.Total.Item()", absolute: 1e-12);
        loss.Total.Backward();
        Assert.Null(model.TokenClassifier.Weight.Grad);
        Assert.NotNull(model.Classifier.Weight.Grad);
    }

    [Fact]
    public void ABatchWithOnlyTokenLabelsHasNoSentenceLoss()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        var outputs = MultiTaskBertVsTorchTests.Forward(fixture, model);
        var loss = model.Loss(outputs, null, fixture.Indices("batch/token_labels"), fixture.SentenceWeight, fixture.TokenWeight);
        Assert.Null(loss.SentenceLoss);
        AssertClose.Scalar(fixture.TokenWeight * fixture.File.ReadFloat64("out/token_loss")[0], loss.Total.Item(), "loss.Total.Item()", absolute: 1e-12);
        loss.Total.Backward();
        Assert.Null(model.Classifier.Weight.Grad);
        Assert.NotNull(model.TokenClassifier.Weight.Grad);
    }

    [Fact]
    public void ABatchWithoutAnyLabelIsRefused()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        using var scope = Tensor.Scope();
        var outputs = MultiTaskBertVsTorchTests.Forward(fixture, model);
        var error = Assert.Throws<ArgumentException>(() => model.Loss(outputs, null, null));
        Assert.Contains("no label", error.Message);
    }
}
