using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Model;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.Engine;

public class ModuleTests
{
    /// <summary>The product model at its smallest: one layer of hidden size 8 with two heads, 3 sentence and 2 token labels.</summary>
    static MultiTaskBert TinyModel() => new(new BertConfig
    {
        VocabSize = 10, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 4,
    }, numSentenceLabels: 3, numTokenLabels: 2, seed: 1);

    [Fact]
    public void NamedParametersComposeDottedHuggingFaceNames()
    {
        using var model = TinyModel();
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Contains("bert.embeddings.word_embeddings.weight", names);
        Assert.Contains("bert.embeddings.LayerNorm.bias", names);
        Assert.Contains("bert.encoder.layer.0.attention.self.query.weight", names);
        Assert.Contains("bert.encoder.layer.0.attention.output.LayerNorm.weight", names);
        Assert.Contains("bert.encoder.layer.0.intermediate.dense.bias", names);
        Assert.Contains("token_classifier.weight", names);
        Assert.Equal(names.Count, names.Distinct().Count());
        var query = model.NamedParameters().Single(p => p.Name == "bert.encoder.layer.0.attention.self.query.weight").Parameter;
        Assert.Equal(new Shape(8, 8), query.Shape);
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.All(model.Parameters(), p => Assert.Null(p.Owner));
    }

    [Fact]
    public void BertInitialisation()
    {
        using var linear = new Linear(300, 200, new Generator(5), init: BertInit.Instance);
        using var norm = new LayerNorm(7);
        Assert.Equal(new Shape(200, 300), linear.Weight.Shape); // [out, in] as PyTorch
        var (mean, std) = MeanAndStd(linear.Weight);
        // 60000 samples of N(0, 0.02²): the sample std is within 1 % and the mean within 5σ/√n.
        Assert.InRange(std, 0.0198, 0.0202);
        Assert.InRange(mean, -5 * 0.02 / Math.Sqrt(60000), 5 * 0.02 / Math.Sqrt(60000));
        Assert.All(linear.Bias!.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.All(norm.Weight.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(norm.Bias.ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(1e-12, norm.Eps);
    }

    [Fact]
    public void DefaultInitialisationIsPyTorchs()
    {
        using var linear = new Linear(300, 200, new Generator(5));
        using var embedding = new Embedding(300, 200, new Generator(6));
        double bound = 1 / Math.Sqrt(300);
        // U(−1/√in, 1/√in) for weight and bias: std bound/√3 (60000 samples: within 1 %), nothing outside.
        var (mean, std) = MeanAndStd(linear.Weight);
        Assert.InRange(std, 0.99 * bound / Math.Sqrt(3), 1.01 * bound / Math.Sqrt(3));
        Assert.InRange(mean, -5 * std / Math.Sqrt(60000), 5 * std / Math.Sqrt(60000));
        Assert.All(linear.Weight.ToArray<float>(), v => Assert.InRange(v, -bound, bound));
        var bias = linear.Bias!.ToArray<float>();
        Assert.All(bias, v => Assert.InRange(v, -bound, bound));
        Assert.True(bias.Max() - bias.Min() > bound, "the bias is drawn from U(−1/√in, 1/√in), not zero");
        // N(0, 1) for an embedding table.
        (mean, std) = MeanAndStd(embedding.Weight);
        Assert.InRange(std, 0.99, 1.01);
        Assert.InRange(mean, -5 / Math.Sqrt(60000), 5 / Math.Sqrt(60000));
    }

    static (double Mean, double Std) MeanAndStd(Tensor t)
    {
        var w = t.ToArray<float>();
        double mean = w.Average(v => (double)v);
        return (mean, Math.Sqrt(w.Average(v => (v - mean) * (v - mean))));
    }

    [Fact]
    public void EvalModeTurnsDropoutOffEverywhere()
    {
        using var scope = Tensor.Scope();
        using var dropout = new Dropout(0.5, seed: 3);
        var x = Tensor.Ones([100]);
        Assert.Contains(0f, dropout.Forward(x).ToArray<float>());
        Assert.Equal(100UL, dropout.Offset);
        // A second call draws a fresh mask.
        Assert.NotEqual(dropout.Forward(x).ToArray<float>(), Ops.Dropout(x, 0.5, 3, 0).ToArray<float>());
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void FreezeAndUnfreezeReachEveryDescendant()
    {
        using var model = TinyModel();
        model.Freeze();
        Assert.All(model.Parameters(), p => Assert.False(p.RequiresGrad));
        model.Unfreeze();
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
    }
}
