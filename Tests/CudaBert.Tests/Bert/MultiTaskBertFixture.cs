using System.Text.Json;
using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.TorchFixtures;

namespace CudaBert.Tests.Bert;

/// <summary>
/// <c>Fixtures/torch/multitask_bert.safetensors</c>, written by <c>tools/torch-fixtures/multitask_bert.py</c>:
/// a tiny multi-task BERT in PyTorch (float64, dropout off) on one padded batch, with its logits,
/// losses, every parameter's gradient and the parameters after 3 AdamW steps with two groups.
/// The parameters are stored under their Hugging Face names, the rest under <c>batch/</c>,
/// <c>out/</c>, <c>grad/</c>, <c>step&lt;t&gt;/</c> and <c>after3/</c>.
/// </summary>
internal sealed class MultiTaskBertFixture : IDisposable
{
    public static readonly string[] NonParameterPrefixes = ["batch/", "out/", "grad/", "step1/", "step2/", "step3/", "after3/"];

    public MultiTaskBertFixture()
    {
        Path = TorchFixture.PathOf("multitask_bert");
        File = SafetensorsFile.Open(Path);
        using var json = JsonDocument.Parse(File.Metadata["config"]);
        var root = json.RootElement;
        Config = BertConfig.Parse(root.GetProperty("bert").GetRawText(), Path + " metadata 'config'");
        SentenceLabels = root.GetProperty("num_sentence_labels").GetInt32();
        TokenLabels = root.GetProperty("num_token_labels").GetInt32();
        SentenceWeight = root.GetProperty("loss_weights").GetProperty("sentence").GetDouble();
        TokenWeight = root.GetProperty("loss_weights").GetProperty("token").GetDouble();
        Beta1 = root.GetProperty("betas")[0].GetDouble();
        Beta2 = root.GetProperty("betas")[1].GetDouble();
        Eps = root.GetProperty("eps").GetDouble();
        Steps = root.GetProperty("steps").GetInt32();
        Groups = root.GetProperty("groups").EnumerateArray()
            .Select(g => new Group(g.GetProperty("lr").GetDouble(), g.GetProperty("weight_decay").GetDouble(),
                g.GetProperty("params").EnumerateArray().Select(p => p.GetString()!).ToArray()))
            .ToArray();
    }

    public sealed record Group(double LearningRate, double WeightDecay, string[] Parameters);

    public string Path { get; }
    public SafetensorsFile File { get; }
    public BertConfig Config { get; }
    public int SentenceLabels { get; }
    public int TokenLabels { get; }
    public double SentenceWeight { get; }
    public double TokenWeight { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public int Steps { get; }
    public IReadOnlyList<Group> Groups { get; }

    /// <summary>The model in float64 and eval mode (dropout off), with PyTorch's initial parameters loaded by name.</summary>
    public MultiTaskBert CreateModel(out WeightLoadReport report)
    {
        var model = new MultiTaskBert(Config, SentenceLabels, TokenLabels, seed: 1, DType.Float64);
        model.Eval();
        report = BertWeights.Load(model, Path);
        return model;
    }

    /// <summary>
    /// Key biases have an exactly zero gradient in exact arithmetic: q·(k + b) adds the same q·b to
    /// every score of a query row, and softmax ignores a constant added to a row. Both PyTorch and we
    /// hold rounding noise there (around 1e-17), which no relative tolerance can compare.
    /// </summary>
    public static bool HasZeroGradientInExactArithmetic(string name) => name.EndsWith("attention.self.key.bias", StringComparison.Ordinal);

    public Tensor Indices(string name) => Tensor.FromArray(File.ReadInt64(name), Shape(name));

    public int[] Shape(string name) => File.GetInfo(name).Shape.Select(d => (int)d).ToArray();

    /// <summary>Asserts that <paramref name="actual"/> matches the stored tensor within <paramref name="relative"/> of its scale (by default float64 rounding).</summary>
    public void AssertMatches(string name, Tensor actual, double relative = TorchTolerance.Float64) =>
        TorchAssert.Close(Shape(name), File.ReadFloat64(name), actual.Shape.ToArray(), actual.ToDoubleArray(), $"{Path}: '{name}'", relative: relative);

    /// <summary>The largest |gradient| PyTorch found over all parameters.</summary>
    public double GradientScale => File.Tensors.Where(t => t.Name.StartsWith("grad/", StringComparison.Ordinal))
        .Max(t => File.ReadFloat64(t.Name).Max(Math.Abs));

    public void Dispose() => File.Dispose();
}
