using CudaBert.Engine;
using CudaBert.Engine.Random;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.TorchFixtures;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The config's <c>hidden_act</c> picks the feed-forward activation. With an identity dense layer
/// the intermediate block is the activation alone, so its output must be PyTorch's
/// <c>F.gelu(x)</c> for "gelu" and <c>F.gelu(x, approximate="tanh")</c> for Hugging Face's two
/// names of the tanh form (the float64 cases of the activation fixtures).
/// </summary>
public class HiddenActivationTests
{
    [Theory]
    [InlineData("gelu", "gelu_erf")]
    [InlineData("gelu_new", "gelu_tanh")]
    [InlineData("gelu_pytorch_tanh", "gelu_tanh")]
    public void IntermediateAppliesTheConfiguredActivation(string hiddenAct, string fixtureOp)
    {
        using var fixture = TorchFixture.Load(fixtureOp);
        var reference = fixture.Case("f64");
        int[] shape = reference.Shape("x");
        int width = shape[^1];
        var config = BertConfig.Parse($$"""{"hidden_size": {{width}}, "intermediate_size": {{width}}, "num_attention_heads": 1, "hidden_act": "{{hiddenAct}}"}""", "test config");

        using var scope = Tensor.Scope();
        using var intermediate = new BertIntermediate(config, new Generator(1), DType.Float64);
        var identity = new double[width * width];
        for (int i = 0; i < width; i++) identity[i * width + i] = 1;
        intermediate.Dense.Weight.CopyFrom<double>(identity);
        intermediate.Dense.Bias!.CopyFrom<double>(new double[width]);

        var output = intermediate.Forward(Tensor.FromArray(reference.Values("x"), new Shape(shape)));
        TorchAssert.MatchesTorch(reference, "out", output.Shape.ToArray(), output.ToArray<double>());
    }

    [Fact]
    public void AnActivationWithoutAnOpIsRejectedByName()
    {
        var config = new BertConfig { HiddenSize = 4, IntermediateSize = 4, NumAttentionHeads = 1, HiddenAct = "relu" };
        var error = Assert.Throws<NotSupportedException>(() => new BertIntermediate(config, new Generator(1), DType.Float64));
        Assert.Contains("'relu'", error.Message);
    }
}
