using System.Text.Json.Nodes;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Inference;

namespace CudaBert.Tests.Reliability;

/// <summary>config.json: every bad value is an InvalidDataException that names the file and key, found before a model is built.</summary>
public class ConfigInputTests
{
    [Theory]
    [InlineData("""{"hidden_size": 8, "hidden_size": 8}""", "'hidden_size' appears twice")]   // not ArgumentException without the file
    [InlineData("""{"note": "\ud800"}""", "not valid Unicode")]                                // refused on reading, not at the first save
    [InlineData("""{"note": 1e999}""", "out of range")]
    [InlineData("""{"vocab_size": 3000000, "hidden_size": 768, "num_attention_heads": 12}""", "exceeds")]
    [InlineData("""{"num_hidden_layers": 100000}""", "num_hidden_layers")]
    public void MalformedConfigIsRefusedWithTheFileAndProblem(string json, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Parse(json, "c.json"));
        Assert.Contains("c.json", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void InvalidUtf8InAFileIsRefused()
    {
        using var folder = new SeedFolder();
        File.WriteAllBytes(folder.File("config.json"), [.. "{\"note\": \""u8, 0xC3, .. "\"}"u8]);
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(folder.File("config.json")));
        Assert.Contains("not valid Unicode", error.Message);
    }

    /// <summary>A vocab_size that the weight file does not hold fails on the header, before the 3-million-row embedding exists.</summary>
    [Fact]
    public void SizesAreCheckedAgainstTheWeightFileBeforeAllocating()
    {
        using var folder = new SeedFolder();
        var config = JsonNode.Parse(folder.Read("config.json"))!.AsObject();
        config["vocab_size"] = 3_000_000;
        folder.Write("config.json", config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => MultiTaskBert.Load(folder.Path));
        Assert.Contains("gives vocab_size 3000000", error.Message);   // the old message compared parameter shapes, after allocating
        Assert.Contains("config.json", error.Message);
    }

    /// <summary>Renamed size keys fall back to bert-base's 768 × 12 layers: refused on the header, not after building 110 M parameters.</summary>
    [Fact]
    public void RenamedSizeKeysAreCaughtByTheWeightFile()
    {
        using var folder = new SeedFolder();
        var config = JsonNode.Parse(folder.Read("config.json"))!.AsObject();
        foreach (string key in (string[])["hidden_size", "num_hidden_layers", "intermediate_size"])
        {
            config[key + "_renamed"] = config[key]!.DeepClone();
            config.Remove(key);
        }
        folder.Write("config.json", config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => TwoTaskPipeline.Load(folder.Path));
        Assert.Contains("hidden_size 768", error.Message);
    }

    /// <summary>Embeddings that match but layers the file cannot hold: refused on the parameter count, before 4 M parameters are built.</summary>
    [Fact]
    public void AConfigFarLargerThanItsWeightsIsRefusedUnbuilt()
    {
        using var folder = new SeedFolder();
        var config = JsonNode.Parse(folder.Read("config.json"))!.AsObject();
        config["intermediate_size"] = 262_144;
        folder.Write("config.json", config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => MultiTaskBert.Load(folder.Path));
        Assert.Contains("the config does not belong to these weights", error.Message);
    }

    [Fact]
    public void AHugeLabelCountIsRefusedOnTheHeader()
    {
        using var folder = new SeedFolder();
        var config = JsonNode.Parse(folder.Read("config.json"))!.AsObject();
        config["num_sentence_labels"] = 2_000_000_000;   // not an OutOfMemoryException building the classifier
        folder.Write("config.json", config.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => MultiTaskBert.Load(folder.Path));
        Assert.Contains("classifier.weight", error.Message);
    }
}
