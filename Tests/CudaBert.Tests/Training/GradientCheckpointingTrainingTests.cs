using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// <see cref="TrainingOptions.GradientCheckpointing"/> through the CPU trainer: read from a config file, handed to
/// the model, and composed with gradient accumulation and a freeze schedule, a run gives the plain run's
/// losses, norms and weights bit for bit.
/// </summary>
public sealed class GradientCheckpointingTrainingTests
{
    [Fact]
    public void TheConfigKeyTurnsItOnAndTheDefaultIsOff()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("cudabert-options-").FullName, "train.json");
        try
        {
            File.WriteAllText(path, """{"gradient-checkpointing": true}""");
            Assert.True(TrainingOptions.ReadFile(path).GradientCheckpointing);
            Assert.False(new TrainingOptions().GradientCheckpointing);
        }
        finally { Directory.Delete(Path.GetDirectoryName(path)!, recursive: true); }
    }

    [Fact]
    public void ACheckpointedRunWithAccumulationAndAFreezeScheduleTrainsAsThePlainRun()
    {
        // Two batches per step; the embeddings and the first layer frozen for the first two steps (not recorded, so not
        // recomputed), then trained (recomputed).
        using var setup = new TinyTrainingSetup(trainCount: 48, devCount: 8);
        (List<StepRecord> History, Dictionary<string, float[]> Weights) Run(bool checkpointing)
        {
            using var model = setup.NewModel();
            var options = setup.Options() with
            {
                Epochs = 1, BatchSize = 8, GradientAccumulation = 2, Freeze = ["bottom-1:until-step-2"], GradientCheckpointing = checkpointing,
            };
            using var trainer = setup.Trainer(model, options);
            var history = trainer.Run().History.ToList();
            Assert.Equal(checkpointing, model.GradientCheckpointing);
            return (history, TinyTrainingSetup.Snapshot(model));
        }
        var plain = Run(checkpointing: false);
        var checkpointed = Run(checkpointing: true);

        Assert.Equal(3, plain.History.Count);
        Assert.Equal(plain.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm)),
            checkpointed.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm)));
        foreach (var (name, want) in plain.Weights)
            Assert.True(want.AsSpan().SequenceEqual(checkpointed.Weights[name]), $"{name} differs after checkpointed steps");
    }
}
