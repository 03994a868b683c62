using System.Text.Json.Nodes;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Import;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// What a checkpoint will need is checked when the trainer is created, not at the first save after
/// an epoch of training: labels that would not survive their one-per-line file, config keys and
/// options that cannot be written as JSON.
/// </summary>
public class CheckpointPreflightTests
{
    static MultiTaskTrainer TrainerWithLabels(TinyTrainingSetup setup, string[] sentenceLabels, string[] tokenLabels)
    {
        var collator = new BatchCollator(HuggingFaceModelFolder.LoadTokenizer(setup.Folder), new LabelSet(sentenceLabels), new LabelSet(tokenLabels), 32);
        var model = new MultiTaskBert(setup.Config, sentenceLabels.Length, tokenLabels.Length, seed: 5);
        return new MultiTaskTrainer(model, collator, setup.Options("run"), setup.Train, setup.Dev, setup.Folder);
    }

    [Theory]
    [InlineData("play\nmusic", "sentence label 1 (\"play\\nmusic\") contains a line break")]
    [InlineData("", "sentence label 1 (\"\") is empty")]
    [InlineData(" padded", "sentence label 1 (\" padded\") starts or ends with white space")]
    public void ASentenceLabelThatCannotBeSavedIsRefusedBeforeTraining(string label, string message)
    {
        using var setup = new TinyTrainingSetup(trainCount: 16);
        var error = Assert.Throws<ArgumentException>(() => TrainerWithLabels(setup, ["alarm", label], ["O", "B-time"]));
        Assert.Contains(message, error.Message);
        Assert.False(Directory.Exists(Path.Combine(setup.Folder, "run")) && Directory.EnumerateFileSystemEntries(Path.Combine(setup.Folder, "run")).Any());
    }

    [Fact]
    public void ALabelWithALoneSurrogateIsRefusedBeforeTraining()
    {
        // Not in an InlineData: attribute strings are stored as UTF-8, which has no lone surrogate.
        using var setup = new TinyTrainingSetup(trainCount: 16);
        var error = Assert.Throws<ArgumentException>(() => TrainerWithLabels(setup, ["alarm", "half\ud800"], ["O"]));
        Assert.Contains("sentence label 1 (\"half\\ud800\") holds a lone surrogate", error.Message);
    }

    [Fact]
    public void ATokenLabelWithACarriageReturnIsRefusedBeforeTraining()
    {
        using var setup = new TinyTrainingSetup(trainCount: 16);
        var error = Assert.Throws<ArgumentException>(() => TrainerWithLabels(setup, ["alarm"], ["O", "B-time\r"]));
        Assert.Contains("token label 1 (\"B-time\\r\") contains a line break", error.Message);
    }

    [Fact]
    public void AConfigKeyWhoseValueCannotBeWrittenIsRefusedBeforeTrainingNamingTheKey()
    {
        // An unknown key kept verbatim from a pretrained config.json, holding an escaped lone surrogate:
        // it reads fine and only fails when written back.
        using var setup = new TinyTrainingSetup(trainCount: 16);
        using var model = setup.NewModel();
        model.Config.OtherKeys["comment"] = JsonNode.Parse("\"note \\ud800\"");
        var error = Assert.Throws<InvalidDataException>(() => setup.Trainer(model, setup.Options("run")));
        Assert.Contains("config key 'comment'", error.Message);
    }

    [Fact]
    public void AnOptionThatCannotBeWrittenToTheTrainerStateIsRefusedBeforeTrainingNamingIt()
    {
        using var setup = new TinyTrainingSetup(trainCount: 16);
        using var model = setup.NewModel();
        var error = Assert.Throws<ArgumentException>(() => setup.Trainer(model, setup.Options("run") with { LearningRate = double.PositiveInfinity }));
        Assert.Contains("learning-rate", error.Message);
    }

    [Fact]
    public void WithoutAnOutputFolderNothingIsCheckedForSaving()
    {
        using var setup = new TinyTrainingSetup(trainCount: 16);
        var collator = new BatchCollator(HuggingFaceModelFolder.LoadTokenizer(setup.Folder), new LabelSet(["a", ""]), new LabelSet(["O"]), 32);
        using var model = new MultiTaskBert(setup.Config, 2, 1, seed: 5);
        using var trainer = new MultiTaskTrainer(model, collator, setup.Options(), setup.Train, setup.Dev, setup.Folder);
        Assert.Equal(0, trainer.State.OptimizerStep);
    }
}
