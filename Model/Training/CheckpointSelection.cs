using CudaBert.Model.Metrics;

namespace CudaBert.Model.Training;

/// <summary>
/// Which dev score picks the best checkpoint of a run (<see cref="TrainingOptions.SelectBy"/>):
/// <c>exact-frames</c> (the share of examples with the intent and every tag right; the default),
/// <c>intent-accuracy</c>, <c>slot-f1</c>, or <c>loss</c> (the dev loss, where lower is better;
/// every other score is better higher). A later evaluation replaces the best only when it is strictly
/// better, so of equal scores the earliest is kept.
/// </summary>
public static class CheckpointSelection
{
    /// <summary>Option value: exact-frame accuracy on dev.</summary>
    public const string ExactFrames = "exact-frames";
    /// <summary>Option value: intent (sentence) accuracy on dev.</summary>
    public const string IntentAccuracy = "intent-accuracy";
    /// <summary>Option value: slot (entity) F1 on dev.</summary>
    public const string SlotF1 = "slot-f1";
    /// <summary>Option value: the dev loss (the training loss, with dropout off), lower is better.</summary>
    public const string Loss = "loss";
    /// <summary><see cref="TestRecord.Checkpoint"/> when the best checkpoint was scored.</summary>
    public const string BestName = "best";
    /// <summary><see cref="TestRecord.Checkpoint"/> when the model as training left it was scored.</summary>
    public const string LastName = "last";
    /// <summary>Every accepted value of <see cref="TrainingOptions.SelectBy"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [ExactFrames, IntentAccuracy, SlotF1, Loss];

    /// <summary>True when <paramref name="metric"/> is one of <see cref="Names"/>.</summary>
    public static bool IsValid(string metric) => Names.Contains(metric, StringComparer.Ordinal);

    /// <summary>The value of <paramref name="metric"/> in an evaluation; null when the evaluation has no such score (e.g. no dev example carries tags).</summary>
    public static double? ValueOf(string metric, EvaluationRecord evaluation) => metric switch
    {
        ExactFrames => evaluation.Scores.SentenceAccuracy,
        IntentAccuracy => evaluation.Scores.Intent?.Accuracy,
        SlotF1 => evaluation.Scores.Slots?.Overall.F1,
        Loss => evaluation.Loss,
        _ => throw new ArgumentException($"option select-by: must be one of {string.Join(", ", Names)}, not '{metric}'"),
    };

    /// <summary>True when <paramref name="candidate"/> beats <paramref name="best"/> (null: no best yet) on <paramref name="metric"/>.</summary>
    public static bool Improves(string metric, double candidate, double? best) =>
        best is not double b || (metric == Loss ? candidate < b : candidate > b);

    /// <summary>
    /// Why <paramref name="metric"/> cannot be scored on <paramref name="dev"/>, or null when it can:
    /// exact frames need examples with an intent and tags, intent accuracy an intent, slot F1 tags, the loss either.
    /// </summary>
    public static string? WhyNotScorable(string metric, IReadOnlyList<Data.TwoTaskExample> dev) => metric switch
    {
        ExactFrames when !dev.Any(e => e.HasSentenceLabel && e.HasTags) => "no dev example has both an intent and tags",
        IntentAccuracy when !dev.Any(e => e.HasSentenceLabel) => "no dev example has an intent",
        SlotF1 when !dev.Any(e => e.HasTags) => "no dev example has tags",
        Loss when !dev.Any(e => e.HasSentenceLabel || e.HasTags) => "no dev example has an intent or tags",
        _ => null,
    };
}

/// <summary>
/// The best checkpoint of a run so far: the optimizer step it was taken after (steps counted from 1,
/// as checkpoint folders are), the metric that chose it and its value. Saved in the trainer state so a
/// resumed run keeps comparing against it, and written to <c>OUT/best/</c> (see <see cref="RunCheckpoints.BestFolderName"/>).
/// </summary>
/// <param name="Step">Optimizer steps taken when it was evaluated (its numbered checkpoint would be <c>checkpoint-STEP</c>).</param>
/// <param name="Metric">The <see cref="TrainingOptions.SelectBy"/> value that chose it.</param>
/// <param name="Value">Its dev score on that metric.</param>
/// <param name="Folder">Where it was written (<c>OUT/best</c>); null when the run has no output folder.</param>
public sealed record BestCheckpoint(int Step, string Metric, double Value, string? Folder);
