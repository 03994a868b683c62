using CudaBert.Model.Bert;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public class MultiTaskTrainerTests
{
    static bool Same(float[] a, float[] b) => a.AsSpan().SequenceEqual(b);

    [Fact]
    public void TrainingLearnsBothTasks()
    {
        using var setup = new TinyTrainingSetup(trainCount: 256, dropout: 0.0);
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, setup.Options() with { Epochs = 4 });
        var result = trainer.Run();
        var scores = result.FinalEvaluation!.Scores;
        // Random guessing gives 1/6 intent accuracy and ~0 slot F1; the generated data is easy.
        Assert.True(scores.Intent!.Accuracy > 0.9, $"intent accuracy {scores.Intent.Accuracy}");
        Assert.True(scores.Slots!.Overall.F1 > 0.6, $"slot F1 {scores.Slots.Overall.F1}");
        Assert.True(result.History[^1].Loss < 0.5 * result.History[0].Loss);
        Assert.Equal(trainer.TotalSteps, result.Steps);
    }

    [Fact]
    public void StepsAreReportedInOrderAtLogPointsWithTheSameValuesWhateverTheLogInterval()
    {
        // 96 examples in batches of 16: six steps per epoch, two epochs; log points every 4 steps and at the epoch ends.
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 8);
        TrainingResult Train(int logEvery, List<(int Step, int Heard)> heard)
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options() with { LogEverySteps = logEvery });
            trainer.Observe(new StepListener(record => heard.Add((record.Step, trainer.State.OptimizerStep))));
            return trainer.Run();
        }
        var (everyStep, everyFour) = (new List<(int, int)>(), new List<(int, int)>());
        var reference = Train(1, everyStep);
        var batched = Train(4, everyFour);

        Assert.Equal(Enumerable.Range(0, 12).Select(s => (s, s + 1)), everyStep);
        // Heard after the 4th, 6th (epoch end), 8th and 12th steps, every step once, in order.
        Assert.Equal(Enumerable.Range(0, 12).Select(s => (s, s < 4 ? 4 : s < 6 ? 6 : s < 8 ? 8 : 12)), everyFour);
        Assert.Equal(reference.History, batched.History, (a, b) => a with { ExamplesPerSecond = 0, ElapsedSeconds = 0 } == b with { ExamplesPerSecond = 0, ElapsedSeconds = 0 });
        Assert.All(batched.History, h => Assert.True(double.IsFinite(h.Loss) && h.GradNorm > 0, $"step {h.Step}: loss {h.Loss}, norm {h.GradNorm}"));
    }

    sealed class StepListener(Action<StepRecord> action) : ITrainingObserver
    {
        public void OnStep(StepRecord record) => action(record);
    }

    [Fact]
    public void ResumingFromAnInterruptedRunIsBitIdentical()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96);
        var options = setup.Options("straight") with { Epochs = 2, GradientAccumulation = 2, LengthBucketing = true };

        Dictionary<string, float[]> straight;
        List<StepRecord> straightHistory;
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
        {
            straightHistory = [.. trainer.Run().History];
            straight = TinyTrainingSetup.Snapshot(model);
        }

        // The same run interrupted mid-epoch after 2 optimizer steps, then resumed from its checkpoint
        // by a fresh process-like setup: model and optimizer rebuilt from disk.
        var interrupted = options with { Out = Path.Combine(setup.Folder, "interrupted") };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, interrupted))
            trainer.Run(stopAfterSteps: 2);
        string checkpoint = RunCheckpoints.Latest(interrupted.Out!)!;
        using (var model = MultiTaskBert.Load(checkpoint))
        using (var trainer = setup.Trainer(model, interrupted))
        {
            trainer.ResumeFrom(checkpoint);
            var resumedHistory = trainer.Run().History;
            Assert.Equal(straightHistory.Skip(2).Select(h => h.Loss), resumedHistory.Select(h => h.Loss));
            var resumed = TinyTrainingSetup.Snapshot(model);
            Assert.All(straight, p => Assert.True(Same(p.Value, resumed[p.Key]), $"{p.Key} differs after resume"));
        }
    }

    [Fact]
    public void AFrozenHeadIsBitIdenticalAfterTrainingAndTheRestMoves()
    {
        using var setup = new TinyTrainingSetup(trainCount: 64);
        using var model = setup.NewModel();
        var before = TinyTrainingSetup.Snapshot(model);
        using (var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, Freeze = ["token-head"] }))
            trainer.Run();
        var after = TinyTrainingSetup.Snapshot(model);
        Assert.True(Same(before["token_classifier.weight"], after["token_classifier.weight"]));
        Assert.True(Same(before["token_classifier.bias"], after["token_classifier.bias"]));
        Assert.False(Same(before["classifier.weight"], after["classifier.weight"]));
        Assert.False(Same(before["bert.encoder.layer.0.attention.self.query.weight"], after["bert.encoder.layer.0.attention.self.query.weight"]));
    }

    [Fact]
    public void FreezeScheduleKeepsTheEncoderFixedUntilItsStepThenTrainsIt()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96);
        using var model = setup.NewModel();
        const string probe = "bert.embeddings.word_embeddings.weight";
        var before = TinyTrainingSetup.Snapshot(model);
        using var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, Freeze = ["encoder:until-step-3"] });
        trainer.Run(stopAfterSteps: 3);
        var atThree = TinyTrainingSetup.Snapshot(model);
        Assert.True(Same(before[probe], atThree[probe]));
        Assert.False(Same(before["classifier.weight"], atThree["classifier.weight"]));
        trainer.Run(stopAfterSteps: 1);
        Assert.False(Same(atThree[probe], TinyTrainingSetup.Snapshot(model)[probe]));
    }

    [Fact]
    public void BottomLayerFreezingLeavesUpperLayersTrainable()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32);
        using var model = setup.NewModel();
        var before = TinyTrainingSetup.Snapshot(model);
        using (var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, Freeze = ["bottom-1"] }))
            trainer.Run();
        var after = TinyTrainingSetup.Snapshot(model);
        Assert.All(before.Where(p => p.Key.StartsWith("bert.embeddings.") || p.Key.StartsWith("bert.encoder.layer.0.")),
            p => Assert.True(Same(p.Value, after[p.Key]), p.Key));
        Assert.False(Same(before["bert.encoder.layer.1.output.dense.weight"], after["bert.encoder.layer.1.output.dense.weight"]));
    }

    [Fact]
    public void ZeroTaskWeightAndZeroHeadLearningRateLeaveThatHeadUntouched()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32);
        using (var model = setup.NewModel())
        {
            var before = TinyTrainingSetup.Snapshot(model);
            using (var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, SentenceLossWeight = 0 }))
            {
                var history = trainer.Run().History;
                Assert.All(history, h => Assert.Null(h.SentenceLoss));
            }
            Assert.True(Same(before["classifier.weight"], TinyTrainingSetup.Snapshot(model)["classifier.weight"]));
        }
        using (var model = setup.NewModel())
        {
            var before = TinyTrainingSetup.Snapshot(model);
            using (var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, TokenHeadLearningRate = 0 }))
                trainer.Run();
            var after = TinyTrainingSetup.Snapshot(model);
            Assert.True(Same(before["token_classifier.weight"], after["token_classifier.weight"]));
            Assert.False(Same(before["classifier.weight"], after["classifier.weight"]));
        }
    }

    [Fact]
    public void AlternatingScheduleUsesTheTokenLossEverySecondStep()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96);
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, TaskSchedule = "alternate:1,2" });
        var history = trainer.Run().History;
        Assert.All(history, h => Assert.NotNull(h.SentenceLoss));
        Assert.All(history, h => Assert.Equal(h.Step % 2 == 0, h.TokenLoss is not null));
    }

    [Fact]
    public void GradientAccumulationOfTwoHalvesEqualsOneFullBatch()
    {
        // Sentence loss only (a mean over equal-sized halves) and no dropout: two accumulated
        // batches of 8 must give the same update as one batch of 16, up to float rounding.
        using var setup = new TinyTrainingSetup(trainCount: 16, dropout: 0.0);
        var options = setup.Options() with { Epochs = 1, TokenLossWeight = 0, WarmupRatio = 0 };
        using var full = setup.NewModel();
        using (var t = setup.Trainer(full, options with { BatchSize = 16 })) t.Run();
        using var accumulated = setup.NewModel();
        using (var t = setup.Trainer(accumulated, options with { BatchSize = 8, GradientAccumulation = 2 })) t.Run();
        var a = TinyTrainingSetup.Snapshot(full);
        var b = TinyTrainingSetup.Snapshot(accumulated);
        Assert.All(a, p => Assert.All(p.Value.Zip(b[p.Key]), v => Assert.Equal(v.First, v.Second, 1e-5f)));
        Assert.False(Same(a["classifier.weight"], TinyTrainingSetup.Snapshot(setup.NewModel())["classifier.weight"]));
    }

    [Fact]
    public void OversamplingMakesTheScarceTaskPresentInNearlyEveryBatch()
    {
        // About 3 % of the examples carry tags. Shuffled once per epoch, most batches of 16 hold none
        // (no token loss); with equal task weights half the draws carry tags, so nearly every batch
        // has a token loss. The contrast makes the test fail if oversampling does nothing.
        using var setup = new TinyTrainingSetup(trainCount: 128, taggedFraction: 0.03);
        int TokenBatches(IReadOnlyList<double> oversample, string oversampleLabels = "none")
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options() with { Epochs = 1, Oversample = oversample, OversampleLabels = oversampleLabels });
            return trainer.Run().History.Count(h => h.TokenLoss is not null);
        }
        int steps = 128 / 16;
        Assert.True(TokenBatches([]) <= steps / 2);
        Assert.True(TokenBatches([1, 1]) >= steps - 1);
        // Without task weights, auto sees the scarce tags and raises their share from 3 % to √3 % ≈ 17 %.
        Assert.True(TokenBatches([], oversampleLabels: "auto") >= steps - 2);
    }
}
