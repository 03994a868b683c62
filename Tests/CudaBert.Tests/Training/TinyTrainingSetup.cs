using CudaBert.Engine.Backends;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Training;

/// <summary>
/// A tiny two-task setup for trainer tests: the generated assistant commands, a word-level
/// vocabulary made from them (every word is one token), and a small BERT (by default 2 layers,
/// hidden size 32, 4 heads).
/// </summary>
class TinyTrainingSetup : IDisposable
{
    public string Folder { get; } = Directory.CreateTempSubdirectory("cudabert-train-").FullName;
    public List<TwoTaskExample> Train { get; }
    public List<TwoTaskExample> Dev { get; }
    public BatchCollator Collator { get; }
    public BertConfig Config { get; }

    public TinyTrainingSetup(int trainCount = 192, double dropout = 0.1, double taggedFraction = 1.0,
        int devCount = 64, int hidden = 32, int layers = 2, int heads = 4, int intermediate = 64, int maxLength = 32)
    {
        Train = AssistantCommands.Generate(trainCount, seed: 1, taggedFraction);
        Dev = AssistantCommands.Generate(devCount, seed: 2);
        string[] words = Train.Concat(Dev).SelectMany(e => e.Words).Distinct().Order(StringComparer.Ordinal).ToArray();
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", .. words];
        File.WriteAllLines(Path.Combine(Folder, "vocab.txt"), vocabulary);
        var tokenizer = new BertTokenizer(new Vocabulary(vocabulary));
        Collator = new BatchCollator(tokenizer, new LabelSet(AssistantCommands.IntentNames), new LabelSet(AssistantCommands.SlotTags), maxLength);
        Config = new BertConfig
        {
            VocabSize = vocabulary.Length, HiddenSize = hidden, NumHiddenLayers = layers, NumAttentionHeads = heads, IntermediateSize = intermediate,
            MaxPositionEmbeddings = maxLength, HiddenDropoutProb = dropout, AttentionProbsDropoutProb = dropout,
        };
    }

    public MultiTaskBert NewModel(ulong seed = 5) =>
        new(Config, Collator.SentenceLabels.Count, Collator.TokenLabels.Count, seed);

    // On the CPU whatever the machine: with "auto" a real GPU would be taken, and the CUDA test
    // collection, running in parallel, may register another Device.Cuda backend mid-run
    // (CudaTraining/ trains on CUDA in that collection).
    // Every rate and the batch order pinned here, not taken from the recipe's defaults: the tests' expectations
    // (e.g. a best evaluation before the last) were made for this tiny model with these values.
    public TrainingOptions Options(string? outName = null) => new()
    {
        Device = DeviceChoice.Cpu,
        Epochs = 2, BatchSize = 16, LearningRate = 3e-3, SentenceHeadLearningRate = 3e-3, TokenHeadLearningRate = 3e-3,
        LengthBucketing = false, WarmupRatio = 0.1, Seed = 9,
        Out = outName is null ? null : Path.Combine(Folder, outName),
    };

    public MultiTaskTrainer Trainer(MultiTaskBert model, TrainingOptions options) =>
        new(model, Collator, options, Train, Dev, Folder);

    public static Dictionary<string, float[]> Snapshot(MultiTaskBert model) =>
        model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.ToArray<float>());

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
