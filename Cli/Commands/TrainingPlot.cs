using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>OUT/training.png</c>: the training loss per step (total and each task) on the left axis and the
/// dev metrics after each evaluation on the right axis, redrawn after every evaluation.
/// </summary>
static class TrainingPlot
{
    public static void Write(string path, IReadOnlyList<StepRecord> steps, IReadOnlyList<EvaluationRecord> evaluations)
    {
        var plot = new ScottPlot.Plot();
        plot.Title("cudabert train");
        plot.XLabel("optimizer step");
        plot.YLabel("loss");
        AddLine(plot, steps.Select(s => ((double)s.Step, (double?)s.Loss)), "loss (total)");
        AddLine(plot, steps.Select(s => ((double)s.Step, s.SentenceLoss)), "sentence loss");
        AddLine(plot, steps.Select(s => ((double)s.Step, s.TokenLoss)), "token loss");

        var right = plot.Axes.Right;
        right.Label.Text = "dev score";
        void Metric(Func<EvaluationRecord, double?> value, string label)
        {
            var points = evaluations.Select(e => (X: (double)e.Step, Y: value(e))).Where(p => p.Y is not null).ToArray();
            if (points.Length == 0) return;
            var scatter = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y!.Value).ToArray());
            scatter.LegendText = label;
            scatter.Axes.YAxis = right;
            scatter.MarkerSize = 8;
        }
        Metric(e => e.Scores.Intent?.Accuracy, "dev intent accuracy");
        Metric(e => e.Scores.Slots?.Overall.F1, "dev slot F1");
        plot.ShowLegend(ScottPlot.Alignment.MiddleRight);
        plot.SavePng(path, 1000, 600);
    }

    static void AddLine(ScottPlot.Plot plot, IEnumerable<(double X, double? Y)> points, string label)
    {
        var kept = points.Where(p => p.Y is double y && double.IsFinite(y)).ToArray();
        if (kept.Length == 0) return;
        var line = plot.Add.Scatter(kept.Select(p => p.X).ToArray(), kept.Select(p => p.Y!.Value).ToArray());
        line.LegendText = label;
        line.MarkerSize = 0;
    }
}
