using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Import;
using CudaBert.Tests.Safetensors;

namespace CudaBert.Tests.Model.Import;

public class HuggingFaceModelFolderTests
{
    static readonly string[] Vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a"];

    static BertConfig TinyConfig() => new() { HiddenSize = 4, NumAttentionHeads = 2, NumHiddenLayers = 1, IntermediateSize = 8, VocabSize = 6, MaxPositionEmbeddings = 8 };

    static ImportedTensor[] Parameters() => [new("embeddings.LayerNorm.weight", [4], [1, 2, 3, 4], "src", false)];

    [Fact]
    public void WritesTheFourFiles()
    {
        using var folder = new TemporaryFolder();
        string target = Path.Combine(folder.Path, "model");
        HuggingFaceModelFolder.Write(target, TinyConfig(), Parameters(), Vocabulary, overwrite: false);

        Assert.Equal(TinyConfig().ToJson(), BertConfig.Load(Path.Combine(target, "config.json")).ToJson());
        Assert.Equal("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n", File.ReadAllText(Path.Combine(target, "vocab.txt")));
        Assert.Equal(BertTokenizerJson.Build(Vocabulary), File.ReadAllText(Path.Combine(target, "tokenizer.json")));
        using var weights = SafetensorsFile.Open(Path.Combine(target, "model.safetensors"));
        Assert.Equal([1f, 2, 3, 4], weights.ReadFloat32("embeddings.LayerNorm.weight"));
        Assert.Equal("pt", weights.Metadata["format"]);
    }

    [Fact]
    public void RefusesANonEmptyFolderUnlessOverwriting()
    {
        using var folder = new TemporaryFolder();
        File.WriteAllText(folder.File("notes.txt"), "keep me");
        var error = Assert.Throws<IOException>(() => HuggingFaceModelFolder.Write(folder.Path, TinyConfig(), Parameters(), Vocabulary, overwrite: false));
        Assert.Contains($"'{folder.Path}' is not empty", error.Message);
        Assert.False(File.Exists(folder.File("config.json")));

        HuggingFaceModelFolder.Write(folder.Path, TinyConfig(), Parameters(), Vocabulary, overwrite: true);
        Assert.True(File.Exists(folder.File("model.safetensors")));
        Assert.Equal("keep me", File.ReadAllText(folder.File("notes.txt")));
    }
}
