using System.Text.Json;
using System.Text.Json.Nodes;

namespace CudaBert.Model.Training;

/// <summary>
/// <c>OUT/metrics.jsonl</c>: one JSON object per line for every optimizer step
/// (<c>{"type":"step","step":…,"epoch":…,"loss":…}</c>, the loss null for a step whose batches were
/// all skipped), every dev evaluation (<c>{"type":"eval","step":…}</c>), every new best checkpoint
/// (<c>{"type":"best","step":…,"metric":"exact-frames","value":…}</c>, at the step of its evaluation) and
/// the test scores of the kept checkpoint when the run ends (<c>{"type":"test","step":…,"checkpoint":"best",…}</c>,
/// at the step of the checkpoint scored), and, first, how the run meets class imbalance
/// (<c>{"type":"imbalance","step":0,…}</c>, see <see cref="WriteImbalance"/>). Steps are numbered from 0.
/// Each record is flushed as it is written.
/// <para>A run that starts at optimizer step S (0, or the step of the checkpoint it resumes from)
/// first drops the records of steps S and later: those a killed or interrupted run logged after its
/// last checkpoint, which the resumed run takes — and logs — again. So every step is logged once.</para>
/// </summary>
public sealed class MetricsLog : ITrainingObserver, IDisposable
{
    /// <summary>The log's file name inside the run folder.</summary>
    public const string FileName = "metrics.jsonl";
    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    readonly StreamWriter _writer;

    /// <param name="runFolder">The run's output folder (created if needed).</param>
    /// <param name="firstStep">The optimizer step the run starts at (<see cref="MultiTaskTrainer.State"/> after a resume).</param>
    public MetricsLog(string runFolder, int firstStep)
    {
        Directory.CreateDirectory(runFolder);
        FilePath = Path.Combine(runFolder, FileName);
        DropRecordsFrom(firstStep);
        _writer = new StreamWriter(FilePath, append: true) { AutoFlush = true };
    }

    /// <summary>Full path of the log file.</summary>
    public string FilePath { get; }

    /// <summary>Keeps the records of steps before <paramref name="firstStep"/>; a line cut short by a kill is dropped too. Replaces the file atomically.</summary>
    void DropRecordsFrom(int firstStep)
    {
        if (!File.Exists(FilePath)) return;
        var kept = File.ReadLines(FilePath).Where(line => StepOf(line) is int step && step < firstStep).ToList();
        string temporary = Path.Combine(Path.GetDirectoryName(FilePath)!, $"{Checkpoint.TemporaryPrefix}{FileName}-{Guid.NewGuid():N}");
        File.WriteAllLines(temporary, kept);
        File.Move(temporary, FilePath, overwrite: true);
    }

    static int? StepOf(string line)
    {
        try
        {
            return JsonNode.Parse(line) is JsonObject record && record["step"] is JsonValue step && step.TryGetValue(out int value) ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Appends an <c>"imbalance"</c> record, at step 0 and before any other when a run starts: the class weights and
    /// label oversampling chosen (<see cref="ImbalancePlan"/>), why, and each sentence label's count, loss weight and
    /// sampling factor.
    /// </summary>
    public void WriteImbalance(ImbalancePlan plan)
    {
        var s = plan.Statistics;
        _writer.WriteLine(JsonSerializer.Serialize(new
        {
            type = "imbalance", step = 0, class_weights = plan.ClassWeightsMode, oversample_labels = plan.LabelOversamplingMode, plan.Reason,
            labels = Enumerable.Range(0, s.Labels.Count).Select(id => new
            {
                label = s.Labels[id], examples = s.Counts[id], weight = plan.WeightOf(id), sampled = plan.SamplingFactors[id],
            }),
        }, Json));
    }

    /// <summary>Appends a <c>"step"</c> record: losses, learning rate, gradient norm, throughput and elapsed seconds.</summary>
    public void OnStep(StepRecord s) =>
        _writer.WriteLine(JsonSerializer.Serialize(new
        {
            type = "step", s.Step, s.Epoch, Loss = double.IsNaN(s.Loss) ? (double?)null : s.Loss, s.SentenceLoss, s.TokenLoss,
            s.LearningRate, s.GradNorm, s.ExamplesPerSecond, s.ElapsedSeconds,
        }, Json));

    /// <summary>Appends an <c>"eval"</c> record: intent accuracy and macro-F1, slot F1 and exact-frame (sentence) accuracy, null where not scored.</summary>
    public void OnEvaluation(EvaluationRecord e)
    {
        var s = e.Scores;
        _writer.WriteLine(JsonSerializer.Serialize(new
        {
            type = "eval", e.Step, e.Epoch, intent_accuracy = s.Intent?.Accuracy, intent_macro_f1 = s.Intent?.MacroF1,
            slot_f1 = s.Slots?.Overall.F1, sentence_accuracy = s.SentenceAccuracy, dev_loss = e.Loss,
        }, Json));
    }

    /// <summary>Appends a <c>"best"</c> record: the step of the evaluation that beat the best so far, the metric and its value.</summary>
    public void OnBest(BestCheckpoint best) =>
        _writer.WriteLine(JsonSerializer.Serialize(new { type = "best", step = best.Step - 1, best.Metric, best.Value }, Json));

    /// <summary>Appends a <c>"test"</c> record: which checkpoint was scored (its step and <c>best</c> or <c>last</c>) and its test scores, as an eval record.</summary>
    public void OnTest(TestRecord test)
    {
        var s = test.Scores;
        _writer.WriteLine(JsonSerializer.Serialize(new
        {
            type = "test", step = test.Step - 1, test.Checkpoint, intent_accuracy = s.Intent?.Accuracy, intent_macro_f1 = s.Intent?.MacroF1,
            slot_f1 = s.Slots?.Overall.F1, sentence_accuracy = s.SentenceAccuracy, examples = s.Examples,
        }, Json));
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _writer.Dispose();
}
