using System.Text.Json;
using CudaBert.Engine;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// <c>Fixtures/torch/adamw.safetensors</c>: 5 steps of <c>torch.optim.AdamW</c> on a tiny model
/// (logits = classifier(tanh(LayerNorm(dense(x)))), loss = cross-entropy), with two parameter
/// groups, global-norm clipping and Hugging Face's linear warmup schedule. Under
/// <c>&lt;dtype&gt;/</c> it holds x, y, <c>initial/&lt;param&gt;</c> and for each step t
/// <c>step&lt;t&gt;/{loss, grad/&lt;param&gt;, grad_norm, lr/&lt;group&gt;, param/&lt;param&gt;}</c>; the
/// metadata entry "config" holds the hyperparameters and which parameter is in which group.
/// </summary>
internal sealed class AdamWFixture : IDisposable
{
    private readonly SafetensorsFile file = SafetensorsFile.Open(TorchFixture.PathOf("adamw"));
    private readonly string prefix;

    public AdamWFixture(string dtype)
    {
        IsFloat64 = dtype == "f64";
        prefix = dtype + "/";
        using var config = JsonDocument.Parse(file.Metadata["config"]);
        var root = config.RootElement;
        Beta1 = root.GetProperty("betas")[0].GetDouble();
        Beta2 = root.GetProperty("betas")[1].GetDouble();
        Eps = root.GetProperty("eps").GetDouble();
        MaxGradNorm = root.GetProperty("max_grad_norm").GetDouble();
        WarmupSteps = root.GetProperty("warmup_steps").GetInt32();
        TotalSteps = root.GetProperty("total_steps").GetInt32();
        Steps = root.GetProperty("steps").GetInt32();
        LayerNormEps = root.GetProperty("layer_norm_eps").GetDouble();
        Frozen = root.GetProperty("frozen").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        Groups = root.GetProperty("groups").EnumerateArray()
            .Select(g => new Group(g.GetProperty("name").GetString()!, g.GetProperty("lr").GetDouble(),
                g.GetProperty("weight_decay").GetDouble(), g.GetProperty("params").EnumerateArray().Select(p => p.GetString()!).ToArray()))
            .ToArray();
    }

    public sealed record Group(string Name, double LearningRate, double WeightDecay, string[] Parameters);

    public bool IsFloat64 { get; }
    public double Tolerance => IsFloat64 ? TorchTolerance.Float64 : TorchTolerance.Float32;
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }
    public double MaxGradNorm { get; }
    public int WarmupSteps { get; }
    public int TotalSteps { get; }
    public int Steps { get; }
    public double LayerNormEps { get; }
    public IReadOnlySet<string> Frozen { get; }
    public IReadOnlyList<Group> Groups { get; }

    public IEnumerable<string> ParameterNames => Groups.SelectMany(g => g.Parameters);

    /// <summary>A stored floating tensor as an engine tensor of the fixture's dtype.</summary>
    public Tensor Load(string name, bool requiresGrad = false)
    {
        string key = prefix + name;
        Shape shape = new(Array.ConvertAll(file.GetInfo(key).Shape, d => (int)d));
        return IsFloat64
            ? Tensor.FromArray(file.ReadFloat64(key), shape, requiresGrad)
            : Tensor.FromArray(file.ReadFloat32(key), shape, requiresGrad);
    }

    public Tensor LoadIndices(string name)
    {
        string key = prefix + name;
        return Tensor.FromArray(file.ReadInt64(key), new Shape(Array.ConvertAll(file.GetInfo(key).Shape, d => (int)d)));
    }

    /// <summary>Compares one of our tensors (or scalars) with the stored <paramref name="name"/>.</summary>
    public void AssertMatches(string name, Tensor actual) =>
        AssertMatches(name, actual.Shape.ToArray(), TorchFixtureRun.ToDoubles(actual));

    public void AssertMatches(string name, double actualScalar) => AssertMatches(name, [], [actualScalar]);

    private void AssertMatches(string name, int[] shape, double[] values)
    {
        string key = prefix + name;
        var info = file.GetInfo(key);
        // Learning rates are float64 in both dtypes' records: PyTorch keeps them as Python floats.
        double relative = info.DType == SafetensorsDType.F64 ? TorchTolerance.Float64 : Tolerance;
        TorchAssert.Close(Array.ConvertAll(info.Shape, d => (int)d), file.ReadFloat64(key), shape, values, $"adamw.safetensors, '{key}'", relative: relative);
    }

    public void Dispose() => file.Dispose();
}
