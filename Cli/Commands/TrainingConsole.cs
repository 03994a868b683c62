using System.Text.Json;
using CudaBert.Model.Metrics;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// Progress of a training run: a line every few steps (loss, learning rate, throughput, ETA), the
/// dev evaluation after each epoch, and every step and evaluation as JSON lines in
/// <c>OUT/metrics.jsonl</c> for plotting or comparing runs.
/// </summary>
sealed class TrainingConsole(string outFolder, int logEvery) : ITrainingObserver, IDisposable
{
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    readonly StreamWriter _metrics = new(Path.Combine(outFolder, "metrics.jsonl"), append: true);

    public void OnStep(StepRecord s)
    {
        _metrics.WriteLine(JsonSerializer.Serialize(new { type = "step", s.Step, s.Epoch, s.Loss, s.SentenceLoss, s.TokenLoss, s.LearningRate, s.GradNorm, s.ExamplesPerSecond, s.ElapsedSeconds }, Json));
        if ((s.Step + 1) % Math.Max(1, logEvery) != 0 && s.Step != 0 && s.Step + 1 != s.TotalSteps) return;
        double perStep = s.ElapsedSeconds / (s.Step + 1);
        var eta = TimeSpan.FromSeconds(perStep * (s.TotalSteps - s.Step - 1));
        Console.WriteLine($"step {s.Step + 1,5}/{s.TotalSteps}  epoch {s.Epoch + 1}  loss {s.Loss:F4}" +
                          (s.SentenceLoss is double a ? $" (sentence {a:F4}" : " (sentence   -   ") +
                          (s.TokenLoss is double b ? $", tokens {b:F4})" : ", tokens   -   )") +
                          $"  lr {s.LearningRate:E2}  {s.ExamplesPerSecond,6:F1} ex/s  ETA {eta:hh\\:mm\\:ss}");
    }

    public void OnEvaluation(EvaluationRecord e)
    {
        var s = e.Scores;
        _metrics.WriteLine(JsonSerializer.Serialize(new
        {
            type = "eval", e.Step, e.Epoch, intent_accuracy = s.Intent?.Accuracy, intent_macro_f1 = s.Intent?.MacroF1,
            slot_f1 = s.Slots?.Overall.F1, sentence_accuracy = s.SentenceAccuracy,
        }, Json));
        _metrics.Flush();
        Console.WriteLine($"dev after epoch {e.Epoch + 1}: {Summary(s)}");
    }

    public static string Summary(JointScores s) =>
        string.Join(", ", new[]
        {
            s.Intent is null ? null : $"intent accuracy {s.Intent.Accuracy:P2} (macro-F1 {s.Intent.MacroF1:P2})",
            s.Slots is null ? null : $"slot F1 {s.Slots.Overall.F1:P2} (P {s.Slots.Overall.Precision:P2}, R {s.Slots.Overall.Recall:P2})",
            s.SentenceAccuracy is double f ? $"exact frames {f:P2}" : null,
        }.Where(x => x is not null)) + $" on {s.Examples} examples";

    public void Dispose() => _metrics.Dispose();
}
