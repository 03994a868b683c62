using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Engine;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Import;
using CudaBert.Model.Training;

namespace CudaBert.Fuzz;

/// <summary>
/// Valid inputs that mutations start from, written by the project itself: a tiny trained-model
/// checkpoint (hidden size 8, one layer; with optimizer moments and trainer state), its config,
/// weights, vocabulary and tokenizer.json (with padding and truncation set), a JointBERT folder,
/// CoNLL and JSON lines data from the demo generator, a training config, and a small ONNX graph.
/// </summary>
public static class FuzzSeeds
{
    public static IReadOnlyDictionary<string, byte[]> Checkpoint { get; }
    public static byte[] TokenizerJson { get; }
    public static IReadOnlyDictionary<string, byte[]> JointBertFolder { get; }
    public static byte[] Conll { get; }
    public static byte[] JsonLines { get; }
    public static byte[] TrainingConfig { get; }
    public static byte[] Onnx { get; }

    static FuzzSeeds()
    {
        var examples = AssistantCommands.Generate(6, seed: 3);
        Checkpoint = TinyCheckpoint(examples);
        TokenizerJson = WithPaddingAndTruncation(Checkpoint[HuggingFaceModelFolder.TokenizerFile]);
        JointBertFolder = new Dictionary<string, byte[]>
        {
            ["train/seq.in"] = Lines(examples.Select(e => e.Text)),
            ["train/seq.out"] = Lines(examples.Select(e => string.Join(' ', e.Tags!))),
            ["train/label"] = Lines(examples.Select(e => e.SentenceLabel!)),
            ["intent_label.txt"] = Lines(examples.Select(e => e.SentenceLabel!).Distinct()),
            ["slot_label.txt"] = Lines(examples.SelectMany(e => e.Tags!).Distinct()),
        };
        Conll = Lines(examples.SelectMany(e => e.Words.Zip(e.Tags!, (w, t) => $"{w} {t}").Append("")));
        JsonLines = Lines(examples.Select((e, i) => (i % 3) switch
        {
            0 => JsonSerializer.Serialize(new { text = e.Text, label = e.SentenceLabel }),
            1 => JsonSerializer.Serialize(new { tokens = e.Words, tags = e.Tags }),
            _ => JsonSerializer.Serialize(new { tokens = e.Words, tags = e.Tags, label = e.SentenceLabel }),
        }));
        TrainingConfig = Encoding.UTF8.GetBytes(new TrainingOptions
        {
            Data = "data", Epochs = 2, BatchSize = 8, EncoderLearningRate = 1e-5, Freeze = ["encoder:until-epoch-1", "token-head:from-step-3"],
            TaskSchedule = "alternate:1,2", Oversample = [1, 2], LengthBucketing = true, TagDecoding = "argmax", Device = "cpu",
        }.ToJson());
        using var onnx = typeof(FuzzSeeds).Assembly.GetManifestResourceStream("tiny-linear.onnx")!;
        using var buffer = new MemoryStream();
        onnx.CopyTo(buffer);
        Onnx = buffer.ToArray();
    }

    static Dictionary<string, byte[]> TinyCheckpoint(List<TwoTaskExample> examples)
    {
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. examples.SelectMany(e => e.Words).Distinct().Order(StringComparer.Ordinal)];
        var config = new BertConfig
        {
            VocabSize = vocabulary.Length, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 32,
        };
        var sentenceLabels = LabelSet.FromSentenceLabels(examples);
        var tokenLabels = LabelSet.FromTags(examples);
        string root = Directory.CreateTempSubdirectory("cudabert-fuzz-seed-").FullName;
        try
        {
            string tokenizer = Directory.CreateDirectory(Path.Combine(root, "tokenizer")).FullName;
            File.WriteAllText(Path.Combine(tokenizer, HuggingFaceModelFolder.VocabularyFile), string.Join('\n', vocabulary) + "\n");
            File.WriteAllText(Path.Combine(tokenizer, HuggingFaceModelFolder.TokenizerFile), BertTokenizerJson.Build(vocabulary));
            using var model = new MultiTaskBert(config, sentenceLabels.Count, tokenLabels.Count, seed: 1);
            using var optimizer = new AdamW(model.Parameters());
            using (Tensor.Scope())
                foreach (var parameter in model.Parameters())
                    optimizer.SetState(parameter, Tensor.Zeros(parameter.Shape), Tensor.Full(parameter.Shape, 1e-4), step: 3);
            var state = new TrainerState
            {
                Epoch = 1, BatchInEpoch = 2, OptimizerStep = 3, ElapsedSeconds = 1.5,
                Dropouts = CudaBert.Model.Training.Checkpoint.Dropouts(model).ToDictionary(d => d.Name, d => new DropoutStream(7, 64)),
            };
            string folder = Path.Combine(root, "checkpoint");
            CudaBert.Model.Training.Checkpoint.Save(folder, model, sentenceLabels, tokenLabels, tokenizer, optimizer, state);
            return Directory.GetFiles(folder).ToDictionary(path => Path.GetFileName(path), File.ReadAllBytes, StringComparer.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    static byte[] WithPaddingAndTruncation(byte[] tokenizerJson)
    {
        var root = JsonNode.Parse(tokenizerJson)!.AsObject();
        root["truncation"] = new JsonObject { ["direction"] = "Right", ["max_length"] = 16, ["strategy"] = "LongestFirst", ["stride"] = 0 };
        root["padding"] = new JsonObject
        {
            ["strategy"] = new JsonObject { ["Fixed"] = 16 }, ["direction"] = "Right", ["pad_to_multiple_of"] = null,
            ["pad_id"] = 0, ["pad_type_id"] = 0, ["pad_token"] = "[PAD]",
        };
        return Encoding.UTF8.GetBytes(root.ToJsonString());
    }

    static byte[] Lines(IEnumerable<string> lines) => Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
}
