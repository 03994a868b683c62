using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// The examples and label sets of a run, read as <see cref="TrainingOptions"/> says: a JointBERT
/// folder (<c>train/</c>, <c>dev/</c>, optional <c>test/</c>, <c>intent_label.txt</c> / <c>slot_label.txt</c>)
/// and/or extra single-task files (<c>.jsonl</c>, CoNLL, or a JointBERT split folder) whose examples
/// are added to the training set.
/// </summary>
public sealed record TrainingData(IReadOnlyList<TwoTaskExample> Train, IReadOnlyList<TwoTaskExample> Dev, LabelSet SentenceLabels, LabelSet TokenLabels)
{
    /// <summary>The held-out test split (<c>test/</c> of the JointBERT folder), scored once after training; empty when the folder has none.</summary>
    public IReadOnlyList<TwoTaskExample> Test { get; init; } = [];

    /// <summary>
    /// Reads <see cref="TrainingOptions.Data"/>, <see cref="TrainingOptions.SentenceData"/> and <see cref="TrainingOptions.TokenData"/>.
    /// Label sets come from the folder's label files, else from the training data (a task without any gets one
    /// placeholder label: <c>none</c> or <c>O</c>).
    /// </summary>
    /// <param name="options">Which sources to read, and whether bad lines are skipped.</param>
    /// <param name="log">Receives one line per source read, with its example count and skipped lines.</param>
    /// <exception cref="ArgumentException">No source gives any training example.</exception>
    /// <exception cref="DataFormatException">A malformed line (unless bad lines are skipped) or label file.</exception>
    public static TrainingData Load(TrainingOptions options, Action<string>? log = null)
    {
        var read = new DataReadOptions { SkipBadLines = options.SkipBadLines };
        var train = new List<TwoTaskExample>();
        var dev = new List<TwoTaskExample>();
        var test = new List<TwoTaskExample>();
        LabelSet? sentenceLabels = null, tokenLabels = null;
        if (options.Data is not null)
        {
            train.AddRange(ReadSplit(Path.Combine(options.Data, "train"), read, log));
            string devFolder = Path.Combine(options.Data, "dev");
            if (Directory.Exists(devFolder)) dev.AddRange(ReadSplit(devFolder, read, log));
            string testFolder = Path.Combine(options.Data, "test");
            if (Directory.Exists(testFolder)) test.AddRange(ReadSplit(testFolder, read, log));
            string intents = Path.Combine(options.Data, "intent_label.txt"), slots = Path.Combine(options.Data, "slot_label.txt");
            if (File.Exists(intents)) sentenceLabels = LabelSet.ReadFile(intents);
            if (File.Exists(slots)) tokenLabels = LabelSet.ReadFile(slots);
        }
        if (options.SentenceData is not null) train.AddRange(ReadAny(options.SentenceData, read, log));
        if (options.TokenData is not null) train.AddRange(ReadAny(options.TokenData, read, log));
        if (train.Count == 0)
            throw new ArgumentException("no training data: give --data (a JointBERT folder) and/or --sentence-data / --token-data");
        sentenceLabels ??= LabelSet.FromSentenceLabels(train);
        tokenLabels ??= LabelSet.FromTags(train);
        if (sentenceLabels.Count == 0) sentenceLabels = new LabelSet(["none"]);
        if (tokenLabels.Count == 0) tokenLabels = new LabelSet(["O"]);
        return new TrainingData(train, dev, sentenceLabels, tokenLabels) { Test = test };
    }

    /// <summary>Reads one source: a JointBERT split folder, a <c>.jsonl</c>/<c>.json</c> file, or CoNLL otherwise.</summary>
    public static IReadOnlyList<TwoTaskExample> ReadAny(string path, DataReadOptions read, Action<string>? log = null)
    {
        if (Directory.Exists(path)) return ReadSplit(path, read, log);
        if (!File.Exists(path)) throw new FileNotFoundException($"data not found: {path}", path);
        DataReadReport report;
        var examples = Path.GetExtension(path).ToLowerInvariant() is ".jsonl" or ".json"
            ? JsonLinesReader.Read(path, read, out report)
            : ConllReader.Read(path, read, out report);
        log?.Invoke($"{path}: {report}");
        return examples;
    }

    static IReadOnlyList<TwoTaskExample> ReadSplit(string folder, DataReadOptions read, Action<string>? log)
    {
        var examples = JointBertReader.Read(folder, read, out var report);
        log?.Invoke($"{folder}: {report}");
        return examples;
    }
}
