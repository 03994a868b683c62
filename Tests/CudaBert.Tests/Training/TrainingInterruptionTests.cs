using System.Text.Json.Nodes;
using CudaBert.Model.Bert;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// Stopping a run (cancellation, as Ctrl+C does; or a crash) loses no work: a checkpoint of the last
/// step is written on cancellation, a resumed run continues bit-identically, and metrics.jsonl ends
/// up with every step once.
/// </summary>
public class TrainingInterruptionTests
{
    /// <summary>Reports synchronously on the training thread (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    sealed class OnEachStep(Action<StepRecord> action) : IProgress<StepRecord>
    {
        public void Report(StepRecord value) => action(value);
    }

    /// <summary>Stands for a process killed right after a step was logged, before anything else happens.</summary>
    sealed class DieAtStep(int step) : ITrainingObserver
    {
        public void OnStep(StepRecord record)
        {
            if (record.Step == step) throw new InvalidOperationException($"killed at step {step}");
        }
    }

    static bool Same(float[] a, float[] b) => a.AsSpan().SequenceEqual(b);

    static List<JsonObject> Records(string run) =>
        [.. File.ReadAllLines(Path.Combine(run, MetricsLog.FileName)).Select(line => JsonNode.Parse(line)!.AsObject())];

    static int[] LoggedSteps(string run) =>
        [.. Records(run).Where(r => (string)r["type"]! == "step").Select(r => (int)r["step"]!)];

    [Fact]
    public void CancellingMidEpochWritesACheckpointAndTheResumedRunIsBitIdenticalWithEveryStepLoggedOnce()
    {
        // 96 examples in batches of 16: six steps per epoch; cancelled during the third step of epoch 1.
        // Every step a log point, so the progress hears of step 2 right after it (and cancels before step 3).
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var options = setup.Options() with { Epochs = 2, LogEverySteps = 1 };
        List<StepRecord> straight;
        Dictionary<string, float[]> straightWeights;
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
        {
            straight = [.. trainer.Run().History];
            straightWeights = TinyTrainingSetup.Snapshot(model);
        }

        var run = options with { Out = Path.Combine(setup.Folder, "run") };
        using var stop = new CancellationTokenSource();
        TrainingResult interrupted;
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, run))
        using (var metrics = new MetricsLog(run.Out!, trainer.State.OptimizerStep))
        {
            trainer.Observe(metrics);
            interrupted = trainer.Run(new OnEachStep(s => { if (s.Step == 2) stop.Cancel(); }), stop.Token);
        }
        Assert.True(interrupted.Cancelled);
        Assert.Equal(3, interrupted.Steps);
        Assert.Equal(Path.Combine(run.Out!, "checkpoint-3"), interrupted.Checkpoint);
        var saved = Checkpoint.LoadState(interrupted.Checkpoint!);
        Assert.Equal((0, 3, 3), (saved.Epoch, saved.BatchInEpoch, saved.OptimizerStep));

        using (var model = MultiTaskBert.Load(RunCheckpoints.Latest(run.Out!)!))
        using (var trainer = setup.Trainer(model, run))
        {
            trainer.ResumeFrom(run.Out!);
            using var metrics = new MetricsLog(run.Out!, trainer.State.OptimizerStep);
            trainer.Observe(metrics);
            var resumed = trainer.Run();
            Assert.False(resumed.Cancelled);
            Assert.Equal(straight.Skip(3).Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            var weights = TinyTrainingSetup.Snapshot(model);
            Assert.All(straightWeights, p => Assert.True(Same(p.Value, weights[p.Key]), $"{p.Key} differs after resume"));
        }
        Assert.Equal(Enumerable.Range(0, 12), LoggedSteps(run.Out!));
        Assert.Equal(straight.Select(h => h.Loss), Records(run.Out!).Where(r => (string)r["type"]! == "step").Select(r => (double)r["loss"]!));
    }

    [Fact]
    public void AResumedRunDropsTheRecordsLoggedAfterItsCheckpointAndALineCutShort()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var run = setup.Options("run") with { Epochs = 1, SaveEverySteps = 2 };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, run))
        using (var metrics = new MetricsLog(run.Out!, trainer.State.OptimizerStep))
        {
            trainer.Observe(metrics).Observe(new DieAtStep(4));
            Assert.Throws<InvalidOperationException>(() => trainer.Run());
        }
        Assert.Equal([0, 1, 2, 3, 4], LoggedSteps(run.Out!));
        Assert.Equal("checkpoint-4", Path.GetFileName(RunCheckpoints.Latest(run.Out!)));
        File.AppendAllText(Path.Combine(run.Out!, MetricsLog.FileName), "{\"type\":\"step\",\"st");

        using (var model = MultiTaskBert.Load(RunCheckpoints.Latest(run.Out!)!))
        using (var trainer = setup.Trainer(model, run))
        {
            trainer.ResumeFrom(run.Out!);
            using var metrics = new MetricsLog(run.Out!, trainer.State.OptimizerStep);
            trainer.Observe(metrics);
            trainer.Run();
        }
        Assert.Equal(Enumerable.Range(0, 6), LoggedSteps(run.Out!));
        Assert.Single(Records(run.Out!), r => (string)r["type"]! == "eval");
    }

    [Fact]
    public void AStepWhoseBatchesWereAllSkippedIsLoggedWithANullLoss()
    {
        // Its loss is NaN, which JSON cannot hold: writing it used to throw and stop the run.
        string folder = Directory.CreateTempSubdirectory("cudabert-metrics-").FullName;
        try
        {
            using (var metrics = new MetricsLog(folder, firstStep: 0))
                metrics.OnStep(new StepRecord(0, 0, double.NaN, null, null, 1e-4, null, 0, 0, 0.5, 10));
            var record = Records(folder).Single();
            Assert.Equal(0, (int)record["step"]!);
            Assert.True(record.ContainsKey("loss"));
            Assert.Null(record["loss"]);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void SaveEveryAndKeepLeaveTheNewestCheckpointsAndTheRunFolderResolvesToTheNewest()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var run = setup.Options("run") with { Epochs = 1, SaveEverySteps = 2, KeepCheckpoints = 2 };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, run))
        {
            var saved = new List<string>();
            var result = trainer.Observe(new CheckpointNames(saved)).Run();
            Assert.Equal(["checkpoint-2", "checkpoint-4", "checkpoint-6"], saved);
            Assert.Equal(Path.Combine(run.Out!, "checkpoint-6"), result.Checkpoint);
        }
        Assert.Equal([4, 6], RunCheckpoints.List(run.Out!).Select(c => c.Step));
        Assert.Equal(Path.Combine(run.Out!, "checkpoint-6"), RunCheckpoints.Resolve(run.Out!));
        using var pipeline = TwoTaskPipeline.Load(run.Out!);
        Assert.Equal(setup.Collator.SentenceLabels.Labels, pipeline.Collator.SentenceLabels.Labels);
    }

    sealed class CheckpointNames(List<string> names) : ITrainingObserver
    {
        public void OnCheckpoint(string folder) => names.Add(Path.GetFileName(folder));
    }

    [Fact]
    public void CancelledBeforeTheFirstStepNothingIsWrittenAndTheResultSaysSo()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32, devCount: 8);
        var run = setup.Options("run");
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, run);
        var result = trainer.Run(cancellationToken: new CancellationToken(canceled: true));
        Assert.True(result.Cancelled);
        Assert.Equal(0, result.Steps);
        Assert.Null(result.Checkpoint);
        Assert.Empty(RunCheckpoints.List(run.Out!));
    }

    [Fact]
    public void ANewRunRemovesTheTemporariesAKilledSaveLeftAndKeepsTheCheckpoints()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32, devCount: 8);
        var run = setup.Options("run") with { Epochs = 1 };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, run))
            trainer.Run(stopAfterSteps: 1);
        string written = Path.Combine(run.Out!, ".tmp-checkpoint-2-0123"), removed = Path.Combine(run.Out!, ".old-checkpoint-0-4567");
        Directory.CreateDirectory(written);
        File.WriteAllText(Path.Combine(written, "config.json"), "{");
        Directory.CreateDirectory(removed);

        using (var model = MultiTaskBert.Load(RunCheckpoints.Latest(run.Out!)!))
        using (var trainer = setup.Trainer(model, run))
        {
            Assert.False(Directory.Exists(written));
            Assert.False(Directory.Exists(removed));
            Assert.Equal([1], RunCheckpoints.List(run.Out!).Select(c => c.Step));
        }
    }
}
