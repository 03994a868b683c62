using CudaBert.Engine;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>Class weights and label oversampling inside the trainer: what auto turns on, and that it changes (only) what it should.</summary>
public sealed class ImbalanceTrainingTests
{
    static bool Same(float[] a, float[] b) => a.AsSpan().SequenceEqual(b);

    /// <summary>The setup's training examples with only the first 3 of one intent kept: severely skewed.</summary>
    static List<TwoTaskExample> Skewed(TinyTrainingSetup setup)
    {
        string scarce = AssistantCommands.IntentNames[1];
        int kept = 0;
        return setup.Train.Where(e => e.SentenceLabel != scarce || kept++ < 3).ToList();
    }

    static Dictionary<string, float[]> Train(TinyTrainingSetup setup, TrainingOptions options, List<TwoTaskExample> train)
    {
        using var model = setup.NewModel();
        using var trainer = new MultiTaskTrainer(model, setup.Collator, options, train, setup.Dev, setup.Folder);
        trainer.Run();
        return TinyTrainingSetup.Snapshot(model);
    }

    [Fact]
    public void AutoOnBalancedDataIsTheRunWithoutIt()
    {
        using var setup = new TinyTrainingSetup(trainCount: 96);
        var options = setup.Options() with { Epochs = 1 };
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
        {
            Assert.Equal(("none", "none"), (trainer.Imbalance.ClassWeightsMode, trainer.Imbalance.LabelOversamplingMode));
            Assert.Equal(("none", "none"), (trainer.State.Options.ClassWeights, trainer.State.Options.OversampleLabels));
        }
        var auto = Train(setup, options, setup.Train);
        var none = Train(setup, options with { ClassWeights = "none", OversampleLabels = "none" }, setup.Train);
        Assert.All(auto, p => Assert.True(Same(p.Value, none[p.Key]), $"{p.Key} differs"));
    }

    [Fact]
    public void AutoOnSkewedDataChangesTrainingAndIsSavedResolved()
    {
        using var setup = new TinyTrainingSetup(trainCount: 192);
        var train = Skewed(setup);
        var options = setup.Options("run") with { Epochs = 1 };
        var auto = Train(setup, options, train);

        var state = Checkpoint.LoadState(RunCheckpoints.Latest(options.Out!)!);
        Assert.Equal(("inverse-sqrt", "sqrt"), (state.Options.ClassWeights, state.Options.OversampleLabels));

        var noWeights = Train(setup, options with { Out = null, ClassWeights = "none" }, train);
        var noOversampling = Train(setup, options with { Out = null, OversampleLabels = "none" }, train);
        Assert.False(Same(auto["classifier.weight"], noWeights["classifier.weight"]));
        Assert.False(Same(auto["classifier.weight"], noOversampling["classifier.weight"]));
    }

    [Fact]
    public void ResumingAWeightedOversampledRunIsBitIdentical()
    {
        using var setup = new TinyTrainingSetup(trainCount: 192);
        var train = Skewed(setup);
        var options = setup.Options("interrupted") with { Epochs = 1 };
        var straight = Train(setup, options with { Out = null }, train);

        using (var model = setup.NewModel())
        using (var trainer = new MultiTaskTrainer(model, setup.Collator, options, train, setup.Dev, setup.Folder))
            trainer.Run(stopAfterSteps: 3);
        string checkpoint = RunCheckpoints.Latest(options.Out!)!;
        using (var model = MultiTaskBert.Load(checkpoint))
        using (var trainer = new MultiTaskTrainer(model, setup.Collator, options, train, setup.Dev, setup.Folder))
        {
            trainer.ResumeFrom(checkpoint);
            trainer.Run();
            var resumed = TinyTrainingSetup.Snapshot(model);
            Assert.All(straight, p => Assert.True(Same(p.Value, resumed[p.Key]), $"{p.Key} differs after resume"));
        }
    }

    [Fact]
    public void ClassWeightsMakeTheSentenceLossAWeightedMean()
    {
        // Per-row losses −log softmax: 0.126928 (label 0), 0.313262 and 0.693147 (label 1); with weights [1, 3]
        // the mean is (0.126928 + 3·0.313262 + 3·0.693147) / 7, without them the plain mean of the three.
        using var setup = new TinyTrainingSetup(trainCount: 8);
        using var model = setup.NewModel();
        using var scope = Tensor.Scope();
        var logits = Tensor.FromArray(new float[] { 2, 0, 0, 1, 1, 1 }, [3, 2]);
        var output = new MultiTaskOutput(logits, Tensor.Zeros([3, 1, 2]), Tensor.Zeros([3, 1, 4]));
        var labels = Tensor.FromArray(new[] { 0, 1, 1 }, [3]);
        var weights = Tensor.FromArray(new float[] { 1, 3 }, [2]);
        Assert.Equal(0.4494507, model.Loss(output, labels, null, sentenceClassWeights: weights).Total.Item(), 6);
        Assert.Equal(0.3777790, model.Loss(output, labels, null).Total.Item(), 6);
    }
}
