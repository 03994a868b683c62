using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.Safetensors;

namespace CudaBert.Tests.Bert;

/// <summary>
/// Checkpoints by name: a bare encoder (no <c>bert.</c>) and a task model (<c>bert.…</c>) load into each
/// other; what is missing or unused is named; a wrong shape is refused with both shapes.
/// </summary>
public class BertWeightsTests
{
    private static BertConfig Tiny() => new()
    {
        VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 16,
        MaxPositionEmbeddings = 12, TypeVocabSize = 2,
    };

    [Fact]
    public void BertModelParametersCarryHuggingFaceNames()
    {
        using var model = new BertModel(Tiny(), withPooler: true, seed: 3);
        var names = model.NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(5 + 2 * 16 + 2, names.Count);
        Assert.Contains("embeddings.word_embeddings.weight", names);
        Assert.Contains("embeddings.LayerNorm.bias", names);
        Assert.Contains("encoder.layer.1.attention.self.query.weight", names);
        Assert.Contains("encoder.layer.0.attention.output.LayerNorm.weight", names);
        Assert.Contains("encoder.layer.1.intermediate.dense.bias", names);
        Assert.Contains("encoder.layer.0.output.dense.weight", names);
        Assert.Contains("pooler.dense.weight", names);
    }

    [Fact]
    public void AnEncoderCheckpointLoadsIntoTheMultiTaskModelAndLeavesOnlyTheHeadsMissing()
    {
        using var folder = new TemporaryFolder();
        using var encoder = new BertModel(Tiny(), withPooler: true, seed: 3);
        Tiny().Save(Path.Combine(folder.Path, BertWeights.ConfigFile));
        BertWeights.Save(encoder, Path.Combine(folder.Path, BertWeights.WeightsFile));

        using var model = MultiTaskBert.FromPretrained(folder.Path, 4, 6, seed: 9, out var report);
        Assert.Equal(["classifier.weight", "classifier.bias", "token_classifier.weight", "token_classifier.bias"], report.Missing);
        Assert.Equal(["pooler.dense.bias", "pooler.dense.weight"], report.Unexpected.Order());
        var saved = encoder.NamedParameters().ToDictionary(p => "bert." + p.Name, p => p.Parameter.ToFloatArray());
        foreach (var (name, parameter) in model.Encoder.NamedParameters("bert."))
            Assert.Equal(saved[name], parameter.ToFloatArray());
    }

    [Fact]
    public void ATaskCheckpointWithTheBertPrefixLoadsIntoABareEncoder()
    {
        using var folder = new TemporaryFolder();
        using var trained = new MultiTaskBert(Tiny(), 4, 6, seed: 5);
        trained.SaveTo(folder.Path);

        using var encoder = BertModel.FromPretrained(folder.Path, out var report);
        Assert.Null(encoder.Pooler);
        Assert.Empty(report.Missing);
        Assert.Equal(["classifier.bias", "classifier.weight", "token_classifier.bias", "token_classifier.weight"], report.Unexpected.Order());
        Assert.All(report.Loaded, entry => Assert.Equal("bert." + entry.Parameter, entry.Tensor));
    }

    /// <summary>
    /// bert-base-uncased's model.safetensors (a BertForPreTraining checkpoint) names the encoder under
    /// <c>bert.</c>, calls LayerNorm parameters <c>gamma</c>/<c>beta</c>, and carries the pretraining head <c>cls.…</c>.
    /// </summary>
    [Fact]
    public void APretrainingCheckpointWithGammaAndBetaNamesLoadsIntoABareEncoder()
    {
        using var folder = new TemporaryFolder();
        using var original = new BertModel(Tiny(), withPooler: true, seed: 3);
        var writer = new SafetensorsWriter();
        foreach (var (name, parameter) in original.NamedParameters())
        {
            string legacy = "bert." + name.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta");
            writer.Add(legacy, parameter.Shape.ToArray().Select(d => (long)d).ToArray(), parameter.ToFloatArray());
        }
        writer.Add("cls.predictions.bias", [20], new float[20]);
        Tiny().Save(folder.File(BertWeights.ConfigFile));
        writer.Save(folder.File(BertWeights.WeightsFile));

        using var encoder = BertModel.FromPretrained(folder.Path, out var report);
        Assert.NotNull(encoder.Pooler);
        Assert.Empty(report.Missing);
        Assert.Equal(["cls.predictions.bias"], report.Unexpected);
        Assert.Contains(("encoder.layer.1.output.LayerNorm.weight", "bert.encoder.layer.1.output.LayerNorm.gamma"), report.Loaded);
        var expected = original.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToFloatArray());
        foreach (var (name, parameter) in encoder.NamedParameters())
            Assert.Equal(expected[name], parameter.ToFloatArray());
    }

    [Fact]
    public void SaveToAndLoadRoundTripEveryParameterAndTheLabelCounts()
    {
        using var folder = new TemporaryFolder();
        using var trained = new MultiTaskBert(Tiny(), 4, 6, seed: 5);
        trained.SaveTo(folder.Path);
        using var loaded = MultiTaskBert.Load(folder.Path);
        Assert.Equal(4, loaded.NumSentenceLabels);
        Assert.Equal(6, loaded.NumTokenLabels);
        var expected = trained.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToFloatArray());
        foreach (var (name, parameter) in loaded.NamedParameters())
            Assert.Equal(expected[name], parameter.ToFloatArray());
    }

    [Fact]
    public void AShapeMismatchIsRefusedNamingBothShapes()
    {
        using var folder = new TemporaryFolder();
        using var trained = new MultiTaskBert(Tiny(), 4, 6, seed: 5);
        trained.SaveTo(folder.Path);
        using var other = new MultiTaskBert(Tiny(), 3, 6, seed: 5);
        var error = Assert.Throws<InvalidDataException>(() => BertWeights.Load(other, Path.Combine(folder.Path, BertWeights.WeightsFile)));
        Assert.Contains("'classifier.weight' has shape [4, 8]", error.Message);
        Assert.Contains("is [3, 8]", error.Message);
    }

    [Fact]
    public void AnEncoderCheckpointWithoutSomeEncoderWeightIsRefusedNamingThem()
    {
        using var folder = new TemporaryFolder();
        var smaller = Tiny();
        smaller.NumHiddenLayers = 1;
        using var encoder = new BertModel(smaller, withPooler: false, seed: 3);
        Tiny().Save(Path.Combine(folder.Path, BertWeights.ConfigFile));
        BertWeights.Save(encoder, Path.Combine(folder.Path, BertWeights.WeightsFile));
        var error = Assert.Throws<InvalidDataException>(() => MultiTaskBert.FromPretrained(folder.Path, 2, 2, seed: 1));
        Assert.Contains("bert.encoder.layer.1.attention.self.query.weight", error.Message);
        Assert.DoesNotContain("classifier", error.Message);
    }
}
