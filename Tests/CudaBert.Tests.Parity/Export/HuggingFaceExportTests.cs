using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using CudaBert.Engine.IO;
using CudaBert.Model.Bert;
using CudaBert.Model.Export;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// The Hugging Face export: the names <c>transformers</c> expects (written out here from its
/// BertForTokenClassification and BertModel, not from our modules), the configs and label maps, the
/// tokenizer files; and our own folder loader reads the two folders back into a model that predicts
/// exactly what the exported one does.
/// </summary>
public class HuggingFaceExportTests
{
    /// <summary>The parameter names of transformers' BertModel without pooler (BertForTokenClassification prefixes them with "bert.").</summary>
    static IEnumerable<string> BertModelNames(int layers)
    {
        yield return "embeddings.word_embeddings.weight";
        yield return "embeddings.position_embeddings.weight";
        yield return "embeddings.token_type_embeddings.weight";
        yield return "embeddings.LayerNorm.weight";
        yield return "embeddings.LayerNorm.bias";
        string[] linears = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"];
        string[] norms = ["attention.output.LayerNorm", "output.LayerNorm"];
        for (int i = 0; i < layers; i++)
            foreach (string module in linears.Concat(norms))
            {
                yield return $"encoder.layer.{i}.{module}.weight";
                yield return $"encoder.layer.{i}.{module}.bias";
            }
    }

    [Fact]
    public void FoldersCarryTransformersNamesConfigsAndTokenizerFiles()
    {
        using var tiny = new TinyExportModel();
        string folder = Path.Combine(tiny.Folder, "hf");
        HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false);
        string tokens = Path.Combine(folder, HuggingFaceExport.TokenClassificationFolder), encoder = Path.Combine(folder, HuggingFaceExport.EncoderFolder);
        int layers = tiny.Model.Config.NumHiddenLayers;

        Assert.Equal(BertModelNames(layers).Select(n => "bert." + n).Concat(["classifier.weight", "classifier.bias"]).Order(), TensorNames(tokens, "model.safetensors"));
        Assert.Equal(BertModelNames(layers).Order(), TensorNames(encoder, "model.safetensors"));
        Assert.Equal(["bias", "weight"], TensorNames(encoder, SentenceHeadFiles.WeightsFile));

        var tokenConfig = ReadJson(tokens, "config.json");
        Assert.Equal("BertForTokenClassification", tokenConfig["architectures"]![0]!.GetValue<string>());
        Assert.Equal("bert", tokenConfig["model_type"]!.GetValue<string>());
        for (int i = 0; i < tiny.TokenLabels.Count; i++)
        {
            Assert.Equal(tiny.TokenLabels[i], tokenConfig["id2label"]![i.ToString()]!.GetValue<string>());
            Assert.Equal(i, tokenConfig["label2id"]![tiny.TokenLabels[i]]!.GetValue<int>());
        }
        var encoderConfig = ReadJson(encoder, "config.json");
        Assert.Equal("BertModel", encoderConfig["architectures"]![0]!.GetValue<string>());
        foreach (var config in new[] { tokenConfig, encoderConfig })
            Assert.DoesNotContain(config.AsObject(), p => p.Key.Contains("sentence") || p.Key.StartsWith("num_", StringComparison.Ordinal) && p.Key.EndsWith("_labels", StringComparison.Ordinal));
        Assert.DoesNotContain(encoderConfig.AsObject(), p => p.Key is "id2label" or "label2id");

        var head = ReadJson(encoder, SentenceHeadFiles.DescriptionFile);
        Assert.Equal("masked_mean", head["pooling"]!.GetValue<string>());
        Assert.Equal(tiny.SentenceLabels.Labels, Enumerable.Range(0, tiny.SentenceLabels.Count).Select(i => head["id2label"]![i.ToString()]!.GetValue<string>()));

        foreach (string exported in new[] { tokens, encoder })
        {
            foreach (string file in new[] { "vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
                Assert.True(File.Exists(Path.Combine(exported, file)), $"{exported} has no {file}");
            Assert.Equal(TinyExportModel.Vocabulary, HuggingFaceModelFolder.LoadTokenizer(exported).Vocabulary.Tokens);
            var special = ReadJson(exported, "special_tokens_map.json");
            Assert.Equal(("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]"),
                (Text(special, "cls_token"), Text(special, "sep_token"), Text(special, "pad_token"), Text(special, "unk_token"), Text(special, "mask_token")));
            var tokenizerConfig = ReadJson(exported, "tokenizer_config.json");
            Assert.True(tokenizerConfig["do_lower_case"]!.GetValue<bool>());
            Assert.Equal(tiny.Model.Config.MaxPositionEmbeddings, tokenizerConfig["model_max_length"]!.GetValue<int>());
        }
    }

    [Fact]
    public void ACrfModelsScoresGoBesideItsTokenClassificationFolder()
    {
        using var tiny = new TinyExportModel(tokenHead: TokenHead.Crf);
        string folder = Path.Combine(tiny.Folder, "hf");
        HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false);
        string tokens = Path.Combine(folder, HuggingFaceExport.TokenClassificationFolder);
        Assert.Equal(["crf.end_transitions", "crf.start_transitions", "crf.transitions"], TensorNames(tokens, HuggingFaceExport.CrfFile));
        using var weights = SafetensorsFile.Open(Path.Combine(tokens, HuggingFaceExport.CrfFile));
        Assert.Equal(tiny.Model.Crf!.Transitions.ToArray<float>(), weights.ReadFloat32("crf.transitions"));
        Assert.False(ReadJson(tokens, "config.json").AsObject().ContainsKey("token_head"));
        Assert.False(File.Exists(Path.Combine(tokens, "..", HuggingFaceExport.EncoderFolder, HuggingFaceExport.CrfFile)));
    }

    [Fact]
    public void OurFolderLoaderReadsTheExportBackAndPredictsTheSame()
    {
        using var tiny = new TinyExportModel();
        string folder = Path.Combine(tiny.Folder, "hf");
        HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false);
        string tokens = Path.Combine(folder, HuggingFaceExport.TokenClassificationFolder), encoder = Path.Combine(folder, HuggingFaceExport.EncoderFolder);

        // The encoder folder as a bare BertModel: every weight found, nothing left over, no pooler.
        using (var bare = BertModel.FromPretrained(encoder, out var bareReport))
        {
            Assert.Empty(bareReport.Missing);
            Assert.Empty(bareReport.Unexpected);
            Assert.Null(bare.Pooler);
        }
        // The token folder: its encoder under "bert.", and only the token head left over.
        using (BertModel.FromPretrained(tokens, out var tokenReport))
        {
            Assert.Empty(tokenReport.Missing);
            Assert.Equal(["classifier.bias", "classifier.weight"], tokenReport.Unexpected.Order());
        }

        // A model rebuilt from the folders: the encoder folder, the sentence head file, the token folder's classifier.
        using var restored = MultiTaskBert.FromPretrained(encoder, tiny.SentenceLabels.Count, tiny.TokenLabels.Count, seed: 99);
        restored.Eval();
        BertWeights.Load(restored.Classifier, Path.Combine(encoder, SentenceHeadFiles.WeightsFile)).ThrowIfMissing();
        using (var file = SafetensorsFile.Open(Path.Combine(tokens, "model.safetensors")))
        {
            var head = restored.TokenClassifier;
            head.Weight.Backend.CopyFromHost(MemoryMarshal.AsBytes(file.ReadFloat32("classifier.weight").AsSpan()), head.Weight);
            head.Bias!.Backend.CopyFromHost(MemoryMarshal.AsBytes(file.ReadFloat32("classifier.bias").AsSpan()), head.Bias);
        }

        var (sentence, tokenLogits) = TinyExportModel.Forward(tiny.Model);
        var (restoredSentence, restoredTokens) = TinyExportModel.Forward(restored);
        Assert.Equal(sentence, restoredSentence);
        Assert.Equal(tokenLogits, restoredTokens);
    }

    [Fact]
    public void ReferenceLogitsAreOurForwardOnAPaddedBatchOfTheTokenizersIds()
    {
        using var tiny = new TinyExportModel();
        string folder = Path.Combine(tiny.Folder, "hf");
        HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false);
        var reference = ReadJson(folder, ReferenceLogitsFile.FileName);

        var batch = HuggingFaceModelFolder.LoadTokenizer(tiny.CheckpointFolder).EncodeBatch(ReferenceLogitsFile.Texts);
        int[] Flat(string key) => reference[key]!.AsArray().SelectMany(row => row!.AsArray().Select(v => v!.GetValue<int>())).ToArray();
        Assert.Equal(batch.InputIds, Flat("input_ids"));
        Assert.Equal(batch.AttentionMask, Flat("attention_mask"));
        Assert.Equal(batch.TypeIds, Flat("token_type_ids"));
        Assert.Contains(0, batch.AttentionMask);

        using var scope = Engine.Tensor.Scope();
        using var noGrad = Engine.Autograd.GradMode.NoGrad();
        int rows = batch.BatchSize, length = batch.SequenceLength;
        var output = tiny.Model.Forward(Engine.Tensor.FromArray(batch.InputIds, [rows, length]),
            Engine.Tensor.FromArray(batch.AttentionMask.Select(m => (float)m).ToArray(), [rows, length]),
            Engine.Tensor.FromArray(batch.TypeIds, [rows, length]));
        float[] Floats(JsonNode node) => node is JsonArray array ? array.SelectMany(n => Floats(n!)).ToArray() : [node.GetValue<float>()];
        Assert.Equal(output.SentenceLogits.ToFloatArray(), Floats(reference["sentence_logits"]!));
        Assert.Equal(output.TokenLogits.ToFloatArray(), Floats(reference["token_logits"]!));
        Assert.Equal([rows, length, tiny.TokenLabels.Count],
            [reference["token_logits"]!.AsArray().Count, reference["token_logits"]![0]!.AsArray().Count, reference["token_logits"]![0]![0]!.AsArray().Count]);
    }

    [Fact]
    public void AFolderWithFilesIsRefusedUnlessOverwriting()
    {
        using var tiny = new TinyExportModel();
        string folder = Path.Combine(tiny.Folder, "hf");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "keep");
        var e = Assert.Throws<IOException>(() => HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false));
        Assert.Contains("--force", e.Message);
        HuggingFaceExport.Write(folder, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: true);
        Assert.Equal("keep", File.ReadAllText(Path.Combine(folder, "notes.txt")));
    }

    static IEnumerable<string> TensorNames(string folder, string file)
    {
        using var weights = SafetensorsFile.Open(Path.Combine(folder, file));
        Assert.Equal("pt", weights.Metadata["format"]);
        return weights.Tensors.Select(t => t.Name).Order().ToList();
    }

    static JsonNode ReadJson(string folder, string file) => JsonNode.Parse(File.ReadAllText(Path.Combine(folder, file)))!;

    static string Text(JsonNode node, string key) => node[key]!.GetValue<string>();
}
