using CudaBert.Model.Metrics;

namespace CudaBert.Model.Training;

/// <summary>
/// One optimizer step, as logged (and written to <c>metrics.jsonl</c>). <see cref="Loss"/>, <see cref="SentenceLoss"/>
/// and <see cref="TokenLoss"/> are the means over the step's batches; <see cref="GradNorm"/> the norm before
/// clipping (null without clipping). Records are made at log points, several steps at once (see
/// <see cref="ITrainingObserver.OnStep"/>), with the values of each step.
/// </summary>
public sealed record StepRecord(
    int Step, int Epoch, double Loss, double? SentenceLoss, double? TokenLoss, double LearningRate,
    double? GradNorm, int Examples, double ExamplesPerSecond, double ElapsedSeconds, int TotalSteps);

/// <summary>An evaluation on the dev split.</summary>
/// <param name="Step">The optimizer step it followed, from 0.</param>
/// <param name="Epoch">The epoch of that step, from 0.</param>
/// <param name="Scores">The dev scores.</param>
/// <param name="ElapsedSeconds">Training time when it was made.</param>
/// <param name="Loss">The mean dev loss, computed only when it selects the best checkpoint (<c>select-by loss</c>); else null.</param>
public sealed record EvaluationRecord(int Step, int Epoch, JointScores Scores, double ElapsedSeconds, double? Loss = null);

/// <summary>The scores of the kept checkpoint on the test split, after training.</summary>
/// <param name="Step">Optimizer steps taken by the scored model (steps counted from 1).</param>
/// <param name="Checkpoint">Which model was scored: <c>best</c> (the best on dev) or <c>last</c> (no dev split, or no output folder to keep the best in).</param>
/// <param name="Scores">The test scores.</param>
public sealed record TestRecord(int Step, string Checkpoint, JointScores Scores);

/// <summary>
/// Receives progress while training runs (console, log files, tests), on the training thread, right
/// after each step, evaluation and checkpoint.
/// </summary>
public interface ITrainingObserver
{
    /// <summary>
    /// Once for each optimizer step, in order, at the log point that follows it (every
    /// <see cref="TrainingOptions.LogEverySteps"/> steps, and before an evaluation, a checkpoint or the end of
    /// a call: the step's losses are read from the device there); does nothing unless implemented.
    /// </summary>
    void OnStep(StepRecord step) { }
    /// <summary>After each dev evaluation; does nothing unless implemented.</summary>
    void OnEvaluation(EvaluationRecord evaluation) { }
    /// <summary>After a checkpoint folder has been written completely; does nothing unless implemented.</summary>
    void OnCheckpoint(string folder) { }
    /// <summary>After a dev evaluation that beat the best so far (and after it was written, when the run has an output folder); does nothing unless implemented.</summary>
    void OnBest(BestCheckpoint best) { }
    /// <summary>After the kept checkpoint was scored on the test split; does nothing unless implemented.</summary>
    void OnTest(TestRecord test) { }
    /// <summary>
    /// A line about how the run trains, told once when it starts and when that changes (e.g. whether the steps
    /// run as CUDA graphs, and why not); does nothing unless implemented.
    /// </summary>
    void OnNotice(string message) { }
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
    IReadOnlyList<StepRecord> History, EvaluationRecord? FinalEvaluation, int SkippedBatches, bool Cancelled, string? Checkpoint)
{
    /// <summary>The best dev evaluation of the run (resumed runs included) by <see cref="TrainingOptions.SelectBy"/>; null without a dev split or before the first evaluation.</summary>
    public BestCheckpoint? Best { get; init; }
    /// <summary>The run stopped before its last epoch because <see cref="TrainingOptions.Patience"/> evaluations in a row did not improve on the best.</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>The kept checkpoint's scores on the test split; null when no test split was given, or the call did not finish the run.</summary>
    public TestRecord? Test { get; init; }
}
