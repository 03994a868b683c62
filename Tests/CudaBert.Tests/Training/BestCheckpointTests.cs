using System.Text.Json.Nodes;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// Keeping the best: every dev evaluation is compared with the best so far by the chosen metric, the
/// best model is written to OUT/best (and is the one the recorded score came from), early stopping
/// ends the run after the given number of evaluations without a new best, a resumed run keeps the best
/// so far, and a test split is scored with the best checkpoint when the run ends.
/// </summary>
public class BestCheckpointTests
{
    sealed class Evaluations : ITrainingObserver
    {
        public List<EvaluationRecord> All { get; } = [];
        public void OnEvaluation(EvaluationRecord evaluation) => All.Add(evaluation);
    }

    static (double?, double?, double?) Summary(CudaBert.Model.Metrics.JointScores s) => (s.Intent?.Accuracy, s.Slots?.Overall.F1, s.SentenceAccuracy);

    static List<JsonObject> Records(string run, string type) =>
        [.. File.ReadAllLines(Path.Combine(run, MetricsLog.FileName)).Select(line => JsonNode.Parse(line)!.AsObject()).Where(r => (string)r["type"]! == type)];

    [Theory]
    [InlineData(CheckpointSelection.ExactFrames)]
    [InlineData(CheckpointSelection.Loss)]
    public void TheBestEvaluationIsKeptAsOutBestAndItsModelScoresWhatWasRecorded(string selectBy)
    {
        // 96 examples in batches of 16: six steps per epoch, evaluated every two steps: 12 evaluations.
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 32);
        var options = setup.Options("run") with { Epochs = 4, EvalEverySteps = 2, SelectBy = selectBy };
        // For the loss, a dev split of wrong intents only (no tags): its loss rises as the model learns, so the
        // best is an early evaluation, not the last.
        var names = setup.Collator.SentenceLabels;
        var dev = selectBy == CheckpointSelection.Loss
            ? setup.Dev.Select(e => e with { SentenceLabel = names[(names.IdOf(e.SentenceLabel!, "dev") + 1) % names.Count], Tags = null }).ToList()
            : setup.Dev;
        var seen = new Evaluations();
        TrainingResult result;
        using (var model = setup.NewModel())
        using (var trainer = new MultiTaskTrainer(model, setup.Collator, options, setup.Train, dev, setup.Folder))
        using (var metrics = new MetricsLog(options.Out!, 0))
        {
            trainer.Observe(seen).Observe(metrics);
            result = trainer.Run();
        }
        Assert.Equal(12, seen.All.Count);
        var values = seen.All.Select(e => CheckpointSelection.ValueOf(selectBy, e)!.Value).ToList();
        double bestValue = selectBy == CheckpointSelection.Loss ? values.Min() : values.Max();
        int bestStep = seen.All[values.IndexOf(bestValue)].Step + 1;   // the earliest of equal scores
        Assert.NotNull(result.Best);
        Assert.Equal((bestStep, selectBy, bestValue), (result.Best.Step, result.Best.Metric, result.Best.Value));
        Assert.Equal(Path.Combine(options.Out!, RunCheckpoints.BestFolderName), result.Best.Folder);
        Assert.NotEqual(result.Steps, result.Best.Step);   // the test is only meaningful when the best is not the last

        // The kept folder holds the model of that step: scored again on dev it gives the recorded value.
        using (var best = MultiTaskBert.Load(result.Best.Folder!))
        {
            var scores = MultiTaskTrainer.Evaluate(best, setup.Collator, dev, options.BatchSize);
            Assert.Equal(Summary(seen.All[values.IndexOf(bestValue)].Scores), Summary(scores));
        }
        // predict/eval --model OUT still mean the newest numbered checkpoint.
        Assert.Equal(Path.Combine(options.Out!, RunCheckpoints.FolderName(result.Steps)), RunCheckpoints.Resolve(options.Out!));
        var logged = Records(options.Out!, "best");
        Assert.Equal(bestStep - 1, (int)logged[^1]["step"]!);
        Assert.Equal(bestValue, (double)logged[^1]["value"]!);
        Assert.Equal(selectBy, (string)logged[^1]["metric"]!);
    }

    [Fact]
    public void PatienceEndsTheRunAfterThatManyEvaluationsWithoutANewBestAndItStaysEnded()
    {
        // Every learning rate 0: the model never changes, so after the first evaluation none improves.
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var options = setup.Options("run") with
        {
            Epochs = 6, Patience = 2, EncoderLearningRate = 0, SentenceHeadLearningRate = 0, TokenHeadLearningRate = 0,
        };
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, options);
        var result = trainer.Run();
        Assert.True(result.StoppedEarly);
        Assert.Equal(3 * 6, result.Steps);   // evaluation 1 is the best, 2 and 3 do not improve
        Assert.Equal(6, result.Best!.Step);
        Assert.Equal(Path.Combine(options.Out!, "checkpoint-18"), result.Checkpoint);
        Assert.True(Checkpoint.LoadState(result.Checkpoint!).StoppedEarly);

        var again = trainer.Run();
        Assert.Empty(again.History);
        Assert.Equal(18, again.Steps);
    }

    [Fact]
    public void WithoutPatienceEveryEpochIsTrained()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var options = setup.Options() with { Epochs = 4, EncoderLearningRate = 0, SentenceHeadLearningRate = 0, TokenHeadLearningRate = 0 };
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, options);
        var result = trainer.Run();
        Assert.False(result.StoppedEarly);
        Assert.Equal(24, result.Steps);
        Assert.Equal(6, result.Best!.Step);
        Assert.Null(result.Best.Folder);
    }

    [Fact]
    public void AResumedRunKeepsTheBestSoFar()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 32);
        var options = setup.Options("run") with { Epochs = 3 };
        TrainingResult straight;
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options with { Out = Path.Combine(setup.Folder, "straight") }))
            straight = trainer.Run();

        BestCheckpoint? bestBeforeStop;
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
        {
            var first = trainer.Run(stopAfterSteps: 8);   // past the evaluation at the end of epoch 1
            bestBeforeStop = first.Best;
        }
        Assert.NotNull(bestBeforeStop);
        using (var model = MultiTaskBert.Load(RunCheckpoints.Latest(options.Out!)!))
        using (var trainer = setup.Trainer(model, options))
        {
            trainer.ResumeFrom(options.Out!);
            Assert.Equal(bestBeforeStop, trainer.State.Best);
            var resumed = trainer.Run();
            Assert.Equal((straight.Best!.Step, straight.Best.Value), (resumed.Best!.Step, resumed.Best.Value));
        }
    }

    [Fact]
    public void AResumedRunFindsItsBestInTheRunFolderItResumesFromEvenWhenThatFolderWasMoved()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var test = CudaBert.Model.Data.Demo.AssistantCommands.Generate(8, seed: 3);
        var options = setup.Options("run") with { Epochs = 2 };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
            Assert.NotNull(trainer.Run(stopAfterSteps: 8).Best);   // past the evaluation at the end of epoch 1
        string moved = Path.Combine(setup.Folder, "moved");
        Directory.Move(options.Out!, moved);

        using (var model = MultiTaskBert.Load(RunCheckpoints.Latest(moved)!))
        using (var trainer = new MultiTaskTrainer(model, setup.Collator, options with { Out = moved }, setup.Train, setup.Dev, setup.Folder, test))
        {
            trainer.ResumeFrom(moved);
            Assert.Equal(Path.Combine(moved, RunCheckpoints.BestFolderName), trainer.State.Best!.Folder);
            var result = trainer.Run();   // scores the test split with the best checkpoint: it must be found
            Assert.Equal(CheckpointSelection.BestName, result.Test!.Checkpoint);
        }
    }

    [Fact]
    public void TheTestSplitIsScoredWithTheBestCheckpointWhenTheRunEnds()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 32);
        var test = CudaBert.Model.Data.Demo.AssistantCommands.Generate(24, seed: 3);
        var options = setup.Options("run") with { Epochs = 3, EvalEverySteps = 2 };
        TrainingResult result;
        using (var model = setup.NewModel())
        using (var trainer = new MultiTaskTrainer(model, setup.Collator, options, setup.Train, setup.Dev, setup.Folder, test))
        using (var metrics = new MetricsLog(options.Out!, 0))
        {
            trainer.Observe(metrics);
            result = trainer.Run();
        }
        Assert.NotNull(result.Test);
        Assert.Equal((CheckpointSelection.BestName, result.Best!.Step), (result.Test.Checkpoint, result.Test.Step));
        Assert.NotEqual(result.Steps, result.Best.Step);   // the best, not the last, must have been scored
        using (var best = MultiTaskBert.Load(result.Best.Folder!))
            Assert.Equal(Summary(MultiTaskTrainer.Evaluate(best, setup.Collator, test, options.BatchSize)), Summary(result.Test.Scores));
        var logged = Assert.Single(Records(options.Out!, "test"));
        Assert.Equal((double)result.Test.Scores.SentenceAccuracy!, (double)logged["sentence_accuracy"]!);
        Assert.Equal("best", (string)logged["checkpoint"]!);
    }

    [Fact]
    public void WithoutADevSplitTheTestSplitIsScoredWithTheLastModel()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96, devCount: 16);
        var test = CudaBert.Model.Data.Demo.AssistantCommands.Generate(24, seed: 3);
        using var model = setup.NewModel();
        using var trainer = new MultiTaskTrainer(model, setup.Collator, setup.Options(), setup.Train, dev: null, setup.Folder, test);
        var result = trainer.Run();
        Assert.Null(result.Best);
        Assert.Equal((CheckpointSelection.LastName, result.Steps), (result.Test!.Checkpoint, result.Test.Step));
        Assert.Equal(Summary(MultiTaskTrainer.Evaluate(model, setup.Collator, test, 16)), Summary(result.Test.Scores));
    }

    [Fact]
    public void ABestRenamedAwayByAKilledReplacementIsPutBackByTheNextRun()
    {
        using var setup = new TinyTrainingSetup(trainCount: 16, devCount: 4);
        string run = Path.Combine(setup.Folder, "run");
        string renamedAway = Path.Combine(run, $"{RunCheckpoints.RemovedPrefix}{RunCheckpoints.BestFolderName}-0123");
        Directory.CreateDirectory(renamedAway);
        File.WriteAllText(Path.Combine(renamedAway, "config.json"), "{}");
        Directory.CreateDirectory(Path.Combine(run, $"{Checkpoint.TemporaryPrefix}{RunCheckpoints.BestFolderName}-4567"));
        RunCheckpoints.Prepare(run);
        Assert.True(File.Exists(Path.Combine(run, RunCheckpoints.BestFolderName, "config.json")));
        Assert.Equal([RunCheckpoints.BestFolderName], Directory.EnumerateFileSystemEntries(run).Select(Path.GetFileName));
    }

    [Fact]
    public void SelectingByAScoreTheDevSplitCannotGiveIsRefused()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32, devCount: 8);
        var untagged = setup.Dev.Select(e => e with { Tags = null }).ToList();
        using var model = setup.NewModel();
        var e = Assert.Throws<ArgumentException>(() =>
            new MultiTaskTrainer(model, setup.Collator, setup.Options() with { SelectBy = CheckpointSelection.SlotF1 }, setup.Train, untagged, setup.Folder));
        Assert.Contains("select-by", e.Message);
        // The default, exact frames, falls back to intent accuracy on such a dev split.
        using var trainer = new MultiTaskTrainer(model, setup.Collator, setup.Options(), setup.Train, untagged, setup.Folder);
        Assert.Equal(CheckpointSelection.IntentAccuracy, trainer.SelectBy);
        // A dev split with no label at all has no loss (it would be 0/0, a NaN no later evaluation could beat).
        var unlabelled = untagged.Select(e => e with { SentenceLabel = null }).ToList();
        var noLoss = Assert.Throws<ArgumentException>(() =>
            new MultiTaskTrainer(model, setup.Collator, setup.Options() with { SelectBy = CheckpointSelection.Loss }, setup.Train, unlabelled, setup.Folder));
        Assert.Contains("loss cannot be scored", noLoss.Message);
    }
}
