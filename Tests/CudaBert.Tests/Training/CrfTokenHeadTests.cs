using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;
using CudaBert.Tests.Safetensors;

namespace CudaBert.Tests.Training;

/// <summary>The CRF token head of <see cref="MultiTaskBert"/>: its batch targets, loss, training, decoding and checkpoints.</summary>
public class CrfTokenHeadTests
{
    static MultiTaskBert NewModel(TinyTrainingSetup setup, TokenHead head) =>
        new(setup.Config, setup.Collator.SentenceLabels.Count, setup.Collator.TokenLabels.Count, seed: 5, tokenHead: head);

    [Fact]
    public void WordTagsAreTheTaggedTokensOfEachTaggedExampleInWordOrder()
    {
        using var setup = new TinyTrainingSetup(trainCount: 8, taggedFraction: 1.0);
        // Rows 0 and 2 have tags, row 1 has none: the CRF sees two sequences.
        TwoTaskExample[] examples = [setup.Train[0], setup.Train[1] with { Tags = null }, setup.Train[2]];
        using var batch = setup.Collator.Collate(examples);
        var words = batch.WordTags!;
        long[] tokenLabels = batch.TokenLabels!.ToArray<long>(), firstTokens = words.FirstTokens.ToArray<long>(), tags = words.Tags.ToArray<long>();
        int width = words.Tags.Shape[1], seq = batch.SequenceLength;
        Assert.Equal(new Shape(2, Math.Max(setup.Train[0].Words.Length, setup.Train[2].Words.Length)), words.Tags.Shape);
        int[] rows = [0, 2];
        for (int n = 0; n < 2; n++)
        {
            var example = examples[rows[n]];
            for (int w = 0; w < width; w++)
            {
                if (w >= example.Words.Length)
                {
                    Assert.Equal(-100, tags[n * width + w]);
                    continue;
                }
                long position = firstTokens[n * width + w];
                Assert.Equal(rows[n], position / seq);   // a token of the example's own row
                Assert.Equal(setup.Collator.TokenLabels.IdOf(example.Tags![w], "test"), tags[n * width + w]);
                Assert.Equal(tags[n * width + w], tokenLabels[position]);
            }
        }
    }

    [Fact]
    public void WithZeroTransitionsTheCrfLossIsTheWordCrossEntropySummedPerSentence()
    {
        // With every transition score 0 the partition function factorises over the words, so each
        // sentence's NLL is the sum of its words' cross-entropies: the CRF's mean over sentences equals
        // the linear head's mean over tagged tokens times (tagged tokens / sentences). The two models
        // share every weight (the CRF draws nothing from the generator), so this checks the gather.
        using var setup = new TinyTrainingSetup(trainCount: 16, dropout: 0.0);
        using var linear = NewModel(setup, TokenHead.Linear);
        using var crf = NewModel(setup, TokenHead.Crf);
        using var batch = setup.Collator.Collate(setup.Train.Take(6).ToArray());
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        double linearLoss = linear.Loss(linear.Forward(batch.InputIds, batch.AttentionMask), null, batch.TokenLabels).Total.Item();
        double crfLoss = crf.Loss(crf.Forward(batch.InputIds, batch.AttentionMask), null, batch.TokenLabels, wordTags: batch.WordTags).Total.Item();
        int tagged = batch.TokenLabels!.ToArray<long>().Count(t => t != MultiTaskBert.IgnoreIndex), sentences = batch.WordTags!.Tags.Shape[0];
        AssertClose.Scalar(linearLoss * tagged / sentences, crfLoss, "CRF loss at zero transitions", relative: 1e-5);
    }

    [Fact]
    public void ACrfLossWithoutWordTagsIsRefused()
    {
        using var setup = new TinyTrainingSetup(trainCount: 4);
        using var crf = NewModel(setup, TokenHead.Crf);
        using var batch = setup.Collator.Collate(setup.Train);
        using var scope = Tensor.Scope();
        var error = Assert.Throws<ArgumentException>(() => crf.Loss(crf.Forward(batch.InputIds, batch.AttentionMask), batch.SentenceLabels, batch.TokenLabels));
        Assert.Contains("CRF token head needs the batch's word tags", error.Message);
    }

    [Fact]
    public void AtZeroTransitionsViterbiDecodesAsTheLinearHead()
    {
        using var setup = new TinyTrainingSetup(trainCount: 4, devCount: 48);
        using var linear = NewModel(setup, TokenHead.Linear);
        using var crf = NewModel(setup, TokenHead.Crf);
        foreach (var decoding in new[] { TagDecoding.Argmax, TagDecoding.Constrained })
        {
            var expected = TwoTaskPredictor.Predict(linear, setup.Collator, setup.Dev, decoding: decoding);
            var actual = TwoTaskPredictor.Predict(crf, setup.Collator, setup.Dev, decoding: decoding);
            Assert.Equal(expected.Select(p => p.WordTags), actual.Select(p => p.WordTags));
        }
    }

    [Fact]
    public void TheTransitionScoresSteerDecoding()
    {
        using var setup = new TinyTrainingSetup(trainCount: 4, devCount: 48);
        using var crf = NewModel(setup, TokenHead.Crf);
        var before = TwoTaskPredictor.Predict(crf, setup.Collator, setup.Dev, decoding: TagDecoding.Argmax);
        // A sentence may only start with tag 0 ("O"): every first word becomes O, which the untrained head rarely says.
        float[] start = Enumerable.Repeat(-1e4f, crf.Crf!.Tags).ToArray();
        start[setup.Collator.TokenLabels.IdOf("O", "test")] = 0;
        crf.Crf.StartTransitions.CopyFrom<float>(start);
        var after = TwoTaskPredictor.Predict(crf, setup.Collator, setup.Dev, decoding: TagDecoding.Argmax);
        Assert.All(after, p => Assert.Equal("O", p.WordTags[0]));
        Assert.Contains(before, p => p.WordTags[0] != "O");
    }

    [Fact]
    public void ACrfModelTrainsAtTheTokenHeadsRateAndRoundTripsThroughItsCheckpoint()
    {
        using var setup = new TinyTrainingSetup(trainCount: 256, dropout: 0.0);
        using var model = NewModel(setup, TokenHead.Crf);
        var options = setup.Options("crf") with { Epochs = 4, TokenHead = TokenHeadNames.Crf, TokenHeadLearningRate = 5e-3 };
        using var trainer = setup.Trainer(model, options);
        var crfGroup = trainer.Optimizer.Groups.Single(g => g.Parameters.Contains(model.Crf!.Transitions));
        Assert.Equal(5e-3, crfGroup.InitialLearningRate);
        var result = trainer.Run();
        var scores = result.FinalEvaluation!.Scores;
        Assert.True(scores.Slots!.Overall.F1 > 0.6, $"slot F1 {scores.Slots.Overall.F1}");
        Assert.Contains(model.Crf!.Transitions.ToArray<float>(), v => v != 0);

        using var loaded = MultiTaskBert.Load(result.Checkpoint!);
        Assert.Equal(TokenHead.Crf, loaded.TokenHead);
        var saved = TinyTrainingSetup.Snapshot(model);
        Assert.All(TinyTrainingSetup.Snapshot(loaded), p => Assert.Equal(saved[p.Key], p.Value));
        Assert.Contains("crf.transitions", saved.Keys);
        var expected = TwoTaskPredictor.Predict(model, setup.Collator, setup.Dev);
        Assert.Equal(expected.Select(p => p.WordTags), TwoTaskPredictor.Predict(loaded, setup.Collator, setup.Dev).Select(p => p.WordTags));
    }

    [Fact]
    public void ALinearCheckpointLoadsAsLinearAndAnUnknownHeadIsNamed()
    {
        using var setup = new TinyTrainingSetup(trainCount: 4);
        using var folder = new TemporaryFolder();
        using (var linear = NewModel(setup, TokenHead.Linear)) linear.SaveTo(folder.Path);
        Assert.DoesNotContain("token_head", File.ReadAllText(Path.Combine(folder.Path, "config.json")));
        using (var loaded = MultiTaskBert.Load(folder.Path)) Assert.Equal(TokenHead.Linear, loaded.TokenHead);

        string config = Path.Combine(folder.Path, "config.json");
        File.WriteAllText(config, File.ReadAllText(config).Replace("\"num_token_labels\"", "\"token_head\": \"hmm\", \"num_token_labels\""));
        var error = Assert.Throws<InvalidDataException>(() => MultiTaskBert.Load(folder.Path));
        Assert.Contains("key 'token_head': 'hmm' is not a token head", error.Message);
    }
}
