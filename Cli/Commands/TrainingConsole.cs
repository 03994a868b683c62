using CudaBert.Model.Metrics;
using CudaBert.Model.Training;
using Spectre.Console;

namespace CudaBert.Cli.Commands;

/// <summary>
/// Progress of a training run. On a terminal: a live progress bar (steps, loss, throughput, ETA);
/// otherwise (a pipe, CI) a plain line every few steps. Either way: the dev evaluation after each
/// epoch and a plot of loss and dev metrics in <c>OUT/training.png</c> (the numbers are in
/// <c>OUT/metrics.jsonl</c>, written by <see cref="MetricsLog"/>).
/// </summary>
sealed class TrainingConsole(string outFolder, int logEvery) : ITrainingObserver
{
    readonly List<StepRecord> _steps = [];
    readonly List<EvaluationRecord> _evaluations = [];
    ProgressTask? _bar;

    /// <summary>Runs the training inside a live progress display when the console is interactive.</summary>
    public TrainingResult Run(Func<TrainingResult> train, int totalSteps, int firstStep)
    {
        if (!AnsiConsole.Profile.Capabilities.Interactive || Console.IsOutputRedirected) return train();
        TrainingResult? result = null;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                _bar = context.AddTask("training", maxValue: totalSteps);
                _bar.Value = firstStep;
                result = train();
            });
        _bar = null;
        return result!;
    }

    public void OnStep(StepRecord s)
    {
        _steps.Add(s);
        if (_bar is not null)
        {
            _bar.Value = s.Step + 1;
            _bar.Description = Markup.Escape($"epoch {s.Epoch + 1} loss {s.Loss:F4} {s.ExamplesPerSecond:F0} ex/s");
            return;
        }
        if ((s.Step + 1) % Math.Max(1, logEvery) != 0 && s.Step != 0 && s.Step + 1 != s.TotalSteps) return;
        double perStep = s.ElapsedSeconds / (s.Step + 1);
        var eta = TimeSpan.FromSeconds(perStep * (s.TotalSteps - s.Step - 1));
        Console.WriteLine($"step {s.Step + 1,5}/{s.TotalSteps}  epoch {s.Epoch + 1}  loss {s.Loss:F4}" +
                          (s.SentenceLoss is double a ? $" (sentence {a:F4}" : " (sentence   -   ") +
                          (s.TokenLoss is double b ? $", tokens {b:F4})" : ", tokens   -   )") +
                          $"  lr {s.LearningRate:E2}  {s.ExamplesPerSecond,6:F1} ex/s  ETA {eta:hh\\:mm\\:ss}");
    }

    public void OnNotice(string message)
    {
        if (_bar is not null) AnsiConsole.MarkupLine(Markup.Escape(message)); else Console.WriteLine(message);
    }

    public void OnEvaluation(EvaluationRecord e)
    {
        _evaluations.Add(e);
        string line = $"dev at step {e.Step + 1} (epoch {e.Epoch + 1}): {Summary(e.Scores)}";
        if (_bar is not null) AnsiConsole.MarkupLine(Markup.Escape(line)); else Console.WriteLine(line);
        try
        {
            TrainingPlot.Write(Path.Combine(outFolder, "training.png"), _steps, _evaluations);
        }
        catch (Exception ex) when (ex is IOException or TypeInitializationException or DllNotFoundException or InvalidOperationException)
        {
            Console.Error.WriteLine($"warning: could not draw training.png ({ex.Message}); metrics.jsonl has the numbers");
        }
    }

    public static string Summary(JointScores s) =>
        string.Join(", ", new[]
        {
            s.Intent is null ? null : $"intent accuracy {s.Intent.Accuracy:P2} (macro-F1 {s.Intent.MacroF1:P2})",
            s.Slots is null ? null : $"slot F1 {s.Slots.Overall.F1:P2} (P {s.Slots.Overall.Precision:P2}, R {s.Slots.Overall.Recall:P2})",
            s.SentenceAccuracy is double f ? $"exact frames {f:P2}" : null,
        }.Where(x => x is not null)) + $" on {s.Examples} examples";
}
