using System.Text.Json.Nodes;
using CudaBert.Model;

namespace CudaBert.Tests.Model.Config;

public class BertConfigTests
{
    // A config in the shape Hugging Face writes for a sentence-transformers MiniLM, with keys we do not model.
    const string MiniLmStyle = """
        {
          "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
          "architectures": ["BertModel"],
          "attention_probs_dropout_prob": 0.1,
          "gradient_checkpointing": false,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 384,
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "transformers_version": "4.8.2",
          "type_vocab_size": 2,
          "use_cache": true,
          "vocab_size": 30522,
          "label2id": {"a": 0, "b": 1}
        }
        """;

    [Fact]
    public void ReadsEveryModelledKey()
    {
        var config = BertConfig.Parse(MiniLmStyle, "test");
        Assert.Equal(384, config.HiddenSize);
        Assert.Equal(6, config.NumHiddenLayers);
        Assert.Equal(12, config.NumAttentionHeads);
        Assert.Equal(32, config.HeadSize);
        Assert.Equal(1536, config.IntermediateSize);
        Assert.Equal(30522, config.VocabSize);
        Assert.Equal(512, config.MaxPositionEmbeddings);
        Assert.Equal(2, config.TypeVocabSize);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal("gelu", config.HiddenAct);
        Assert.Equal(0.1, config.HiddenDropoutProb);
        Assert.Equal(0.1, config.AttentionProbsDropoutProb);
        Assert.Equal(0.02, config.InitializerRange);
        Assert.Equal(0, config.PadTokenId);
        Assert.Equal("bert", config.ModelType);
        Assert.Equal(["BertModel"], config.Architectures);
    }

    [Fact]
    public void RoundTripKeepsUnknownKeysAndWritesSortedKeys()
    {
        var config = BertConfig.Parse(MiniLmStyle, "test");
        string written = config.ToJson();
        var original = JsonNode.Parse(MiniLmStyle)!.AsObject();
        var reread = JsonNode.Parse(written)!.AsObject();

        Assert.Equal(original.Select(p => p.Key).Order(StringComparer.Ordinal), reread.Select(p => p.Key));
        foreach (var (key, value) in original)
            Assert.True(JsonNode.DeepEquals(value, reread[key]), $"key '{key}': {value?.ToJsonString()} became {reread[key]?.ToJsonString()}");
        Assert.Equal(written, BertConfig.Parse(written, "again").ToJson());
    }

    [Fact]
    public void MissingKeysTakeHuggingFaceDefaults()
    {
        var config = BertConfig.Parse("{\"hidden_size\": 64, \"num_attention_heads\": 4}", "test");
        Assert.Equal(64, config.HiddenSize);
        Assert.Equal(12, config.NumHiddenLayers);
        Assert.Equal(3072, config.IntermediateSize);
        Assert.Equal(1e-12, config.LayerNormEps);
        Assert.Equal("gelu", config.HiddenAct);
    }

    [Fact]
    public void SaveAndLoadThroughAFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"cudabert-config-{Guid.NewGuid():N}.json");
        try
        {
            var config = BertConfig.MiniLmL6V2();
            config.OtherKeys["transformers_version"] = "4.8.2";
            config.Save(path);
            var loaded = BertConfig.Load(path);
            Assert.Equal(config.ToJson(), loaded.ToJson());
            Assert.Equal("4.8.2", loaded.OtherKeys["transformers_version"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData("{\"hidden_size\": \"big\"}", "hidden_size", "expected an integer, got \"big\"")]
    [InlineData("{\"hidden_size\": 384.5}", "hidden_size", "expected an integer")]
    [InlineData("{\"num_hidden_layers\": 0}", "num_hidden_layers", "must be positive, got 0")]
    [InlineData("{\"hidden_size\": 384, \"num_attention_heads\": 5}", "num_attention_heads", "hidden_size 384 is not a multiple of num_attention_heads 5")]
    [InlineData("{\"layer_norm_eps\": 0}", "layer_norm_eps", "must be a positive number")]
    [InlineData("{\"hidden_dropout_prob\": 1.5}", "hidden_dropout_prob", "must be a probability in [0, 1), got 1.5")]
    [InlineData("{\"attention_probs_dropout_prob\": -0.1}", "attention_probs_dropout_prob", "must be a probability")]
    [InlineData("{\"hidden_act\": \"swish\"}", "hidden_act", "'swish' is not supported")]
    [InlineData("{\"model_type\": \"roberta\"}", "model_type", "'roberta' is not \"bert\"")]
    [InlineData("{\"pad_token_id\": 40000}", "pad_token_id", "is not a token id of a vocabulary of 30522")]
    [InlineData("{\"architectures\": \"BertModel\"}", "architectures", "expected an array of strings")]
    public void InvalidValuesAreRefusedNamingTheKey(string json, string key, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Parse(json, "my/config.json"));
        Assert.Contains($"config 'my/config.json', key '{key}': ", error.Message);
        Assert.Contains(problem, error.Message);
    }

    [Fact]
    public void InvalidJsonNamesTheFile()
    {
        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Parse("{\"hidden_size\": 384,,}", "my/config.json"));
        Assert.Contains("config 'my/config.json': invalid JSON", error.Message);
        Assert.Contains("config 'x': the top level is not a JSON object",
            Assert.Throws<InvalidDataException>(() => BertConfig.Parse("[1]", "x")).Message);
    }
}
