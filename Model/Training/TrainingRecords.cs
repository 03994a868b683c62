using CudaBert.Model.Metrics;

namespace CudaBert.Model.Training;

/// <summary>One optimizer step, as logged (and written to <c>metrics.jsonl</c>).</summary>
public sealed record StepRecord(
    int Step, int Epoch, double Loss, double? SentenceLoss, double? TokenLoss, double LearningRate,
    double? GradNorm, int Examples, double ExamplesPerSecond, double ElapsedSeconds, int TotalSteps);

/// <summary>An evaluation on the dev split.</summary>
public sealed record EvaluationRecord(int Step, int Epoch, JointScores Scores, double ElapsedSeconds);

/// <summary>Receives progress while training runs (console, log files, tests).</summary>
public interface ITrainingObserver
{
    void OnStep(StepRecord step) { }
    void OnEvaluation(EvaluationRecord evaluation) { }
    void OnCheckpoint(string folder) { }
}

/// <summary>What a finished run did.</summary>
public sealed record TrainingResult(int Steps, int Epochs, double ElapsedSeconds, double ExamplesPerSecond,
    IReadOnlyList<StepRecord> History, EvaluationRecord? FinalEvaluation, int SkippedBatches);
