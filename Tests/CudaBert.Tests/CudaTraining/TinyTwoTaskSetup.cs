using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// The smallest two-task setup the software GPU trains in seconds: nine generated assistant commands
/// (three of them without tags, so batches mix labelled and unlabelled examples) and three dev ones,
/// a word-level vocabulary made from them, and a 1-layer BERT with hidden size 16, 2 heads and
/// dropout on (its masks must be the same bits on both devices). Sentences differ in length, so
/// every batch has padding.
/// </summary>
sealed class TinyTwoTaskSetup : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("cudabert-cuda-train-").FullName;
    public List<TwoTaskExample> Train { get; }
    public List<TwoTaskExample> Dev { get; }
    public BatchCollator Collator { get; }
    public BertConfig Config { get; }

    public TinyTwoTaskSetup()
    {
        Train = AssistantCommands.Generate(9, seed: 1, taggedFraction: 2.0 / 3);
        Dev = AssistantCommands.Generate(3, seed: 2);
        string[] words = Train.Concat(Dev).SelectMany(e => e.Words).Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words];
        File.WriteAllLines(Path.Combine(Folder, "vocab.txt"), vocabulary);
        var tokenizer = new BertTokenizer(new Vocabulary(vocabulary));
        Collator = new BatchCollator(tokenizer, new LabelSet(AssistantCommands.IntentNames), new LabelSet(AssistantCommands.SlotTags), maxLength: 16);
        Config = new BertConfig
        {
            VocabSize = vocabulary.Length, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 24,
            MaxPositionEmbeddings = 16, HiddenDropoutProb = 0.1, AttentionProbsDropoutProb = 0.1,
        };
    }

    /// <summary>A fresh model on the CPU; the same seed gives the same weights and dropout streams.</summary>
    public MultiTaskBert NewModel(ulong seed = 5) => new(Config, Collator.SentenceLabels.Count, Collator.TokenLabels.Count, seed);

    /// <summary>Three optimizer steps of batch 3 in one epoch, then an evaluation on dev (and a checkpoint when <paramref name="outName"/> is given).</summary>
    public TrainingOptions Options(string device, string? outName = null) => new()
    {
        Device = device, Epochs = 1, BatchSize = 3, LearningRate = 3e-3, WarmupRatio = 0, Seed = 9,
        Out = outName is null ? null : Path.Combine(Folder, outName),
    };

    public MultiTaskTrainer Trainer(MultiTaskBert model, TrainingOptions options) => new(model, Collator, options, Train, Dev, Folder);

    /// <summary>Every parameter copied to the host, by name.</summary>
    public static Dictionary<string, float[]> Snapshot(MultiTaskBert model) =>
        model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
