using CudaBert.Model.Metrics;

namespace CudaBert.Model.Training;

/// <summary>One optimizer step, as logged (and written to <c>metrics.jsonl</c>).</summary>
public sealed record StepRecord(
    int Step, int Epoch, double Loss, double? SentenceLoss, double? TokenLoss, double LearningRate,
    double? GradNorm, int Examples, double ExamplesPerSecond, double ElapsedSeconds, int TotalSteps);

/// <summary>An evaluation on the dev split.</summary>
public sealed record EvaluationRecord(int Step, int Epoch, JointScores Scores, double ElapsedSeconds);

/// <summary>
/// Receives progress while training runs (console, log files, tests), on the training thread, right
/// after each step, evaluation and checkpoint.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>After each optimizer step; does nothing unless implemented.</summary>
    void OnStep(StepRecord step) { }
    /// <summary>After each dev evaluation; does nothing unless implemented.</summary>
    void OnEvaluation(EvaluationRecord evaluation) { }
    /// <summary>After a checkpoint folder has been written completely; does nothing unless implemented.</summary>
    void OnCheckpoint(string folder) { }
}

/// <summary>What a call of <see cref="MultiTaskTrainer.Run(IProgress{StepRecord}, CancellationToken)"/> did.</summary>
/// <param name="Steps">Optimizer steps taken since the start of the run (resumed runs included).</param>
/// <param name="Epochs">Epochs completed since the start of the run.</param>
/// <param name="ElapsedSeconds">Training time in seconds since the start of the run (resumed runs included).</param>
/// <param name="ExamplesPerSecond">Throughput of this call: the examples of its steps over its wall-clock time.</param>
/// <param name="History">The steps taken in this call.</param>
/// <param name="FinalEvaluation">The last dev evaluation of this call, or null when it made none (no dev split, or stopped before one).</param>
/// <param name="SkippedBatches">Batches skipped since the start of the run because they carried no label of an active task.</param>
/// <param name="Cancelled">The call stopped early because its cancellation token was cancelled.</param>
/// <param name="Checkpoint">The newest checkpoint of the run (written or resumed from); null when none exists (no output folder, or stopped before the first step).</param>
public sealed record TrainingResult(int Steps, int Epochs, double ElapsedSeconds, double ExamplesPerSecond,
    IReadOnlyList<StepRecord> History, EvaluationRecord? FinalEvaluation, int SkippedBatches, bool Cancelled, string? Checkpoint);
