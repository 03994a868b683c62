using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>The values a run takes for what it was not told (<see cref="TrainingRecipe"/>), and that the trainer uses them.</summary>
public sealed class TrainingRecipeTests
{
    [Theory]
    [InlineData(19, 10)]     // the built-in demo (600 examples, batch 32): capped at 10 passes
    [InlineData(409, 8)]     // SNIPS (13,084 examples): ⌈3000 / 409⌉ = 8
    [InlineData(500, 6)]
    [InlineData(999, 4)]     // ⌈3000 / 999⌉ = 4 (rounds up: at least the target)
    [InlineData(1000, 3)]
    [InlineData(1500, 3)]    // 2 epochs would reach the target, but at least 3
    [InlineData(100_000, 3)]
    public void EpochsReachTheTargetStepsWithinTheBounds(int stepsPerEpoch, int expected) =>
        Assert.Equal(expected, TrainingRecipe.Epochs(stepsPerEpoch));

    [Fact]
    public void EpochsRefuseAnEmptyEpoch() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TrainingRecipe.Epochs(0));

    [Fact]
    public void TheTrainerTakesTheRecipesEpochsWhenGivenNone()
    {
        using var setup = new TinyTrainingSetup(trainCount: 192);
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, setup.Options() with { Epochs = null });
        int stepsPerEpoch = 192 / 16;   // batch 16, no accumulation
        Assert.Equal(TrainingRecipe.MaxEpochs, trainer.Epochs);
        Assert.Equal(TrainingRecipe.MaxEpochs * stepsPerEpoch, trainer.TotalSteps);

        using var explicitModel = setup.NewModel();
        using var explicitTrainer = setup.Trainer(explicitModel, setup.Options() with { Epochs = 2 });
        Assert.Equal(2, explicitTrainer.Epochs);
        Assert.Equal(2 * stepsPerEpoch, explicitTrainer.TotalSteps);
    }

    [Fact]
    public void HeadsLearnTwentyTimesFasterUnlessTold()
    {
        using var setup = new TinyTrainingSetup();
        using var model = setup.NewModel();
        var groups = TrainingParameterGroups.Build(model, new TrainingOptions { LearningRate = 1e-4 });
        var head = model.Classifier.Weight;
        var encoderWeight = model.Encoder.NamedParameters().First().Parameter;
        Assert.Equal(1e-4, groups.Single(g => g.Parameters.Contains(encoderWeight)).LearningRate);
        Assert.Equal(2e-3, groups.Single(g => g.Parameters.Contains(head)).LearningRate, 1e-15);

        var told = TrainingParameterGroups.Build(model, new TrainingOptions { LearningRate = 1e-4, SentenceHeadLearningRate = 5e-4 });
        Assert.Equal(5e-4, told.Single(g => g.Parameters.Contains(head)).LearningRate);
        Assert.Equal(2e-3, told.Single(g => g.Parameters.Contains(model.TokenClassifier.Weight)).LearningRate, 1e-15);
    }
}
