using CudaBert.Model.Metrics;

namespace CudaBert.Tests.Metrics;

public class ScoreTests
{
    static IReadOnlyList<IReadOnlyList<string>> Seqs(params string[][] s) => s;

    [Fact]
    public void EntityF1MatchesSeqevalReadmeExample()
    {
        // seqeval's README example: f1_score(y_true, y_pred) == 0.50.
        // Gold MISC(3..5), PER(0..1); predicted MISC(2..5), PER(0..1): 1 of 2 correct each way.
        var gold = Seqs(["O", "O", "O", "B-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]);
        var pred = Seqs(["O", "O", "B-MISC", "I-MISC", "I-MISC", "I-MISC", "O"], ["B-PER", "I-PER", "O"]);
        var scores = EntityScores.Compute(gold, pred);
        Assert.Equal(0.5, scores.Overall.Precision, 12);
        Assert.Equal(0.5, scores.Overall.Recall, 12);
        Assert.Equal(0.5, scores.Overall.F1, 12);
        Assert.Equal(0.0, scores.PerType["MISC"].F1, 12);
        Assert.Equal(1.0, scores.PerType["PER"].F1, 12);
        Assert.Equal(1, scores.PerType["MISC"].Support);
    }

    [Fact]
    public void EntityScoresWithUnequalPrecisionAndRecall()
    {
        // Gold: A(0..1), B(3..3), A(0..0) in sentence 2 → 3 entities.
        // Pred: A(0..1) ✓, B(2..3) ✗, A(0..0) ✓, B(1..1) ✗ → 4 predicted, 2 correct.
        // P = 2/4, R = 2/3, F1 = 2·(1/2)(2/3)/(1/2+2/3) = 4/7.
        var gold = Seqs(["B-A", "I-A", "O", "B-B"], ["B-A", "O"]);
        var pred = Seqs(["B-A", "I-A", "B-B", "I-B"], ["B-A", "B-B"]);
        var s = EntityScores.Compute(gold, pred).Overall;
        Assert.Equal(0.5, s.Precision, 12);
        Assert.Equal(2.0 / 3, s.Recall, 12);
        Assert.Equal(4.0 / 7, s.F1, 12);
    }

    [Fact]
    public void NoPredictedEntitiesScoresZeroNotNaN()
    {
        var s = EntityScores.Compute(Seqs(["B-A"]), Seqs(["O"])).Overall;
        Assert.Equal(0.0, s.Precision);
        Assert.Equal(0.0, s.F1);
    }

    [Fact]
    public void MismatchedLengthsAreRejectedWithTheSentenceIndex()
    {
        var e = Assert.Throws<ArgumentException>(() => EntityScores.Compute(Seqs(["O"], ["O", "O"]), Seqs(["O"], ["O"])));
        Assert.Contains("sentence 1", e.Message);
    }

    [Fact]
    public void MacroF1AveragesOverGoldAndPredictedLabels()
    {
        // a: tp 1, predicted 1, support 2 → F1 2/3;  b: tp 1, predicted 3, support 1 → F1 1/2;
        // c: never predicted → F1 0.  Macro = (2/3 + 1/2 + 0) / 3 = 7/18.  Accuracy 2/4.
        var s = ClassificationScores.Compute(["a", "a", "b", "c"], ["a", "b", "b", "b"]);
        Assert.Equal(0.5, s.Accuracy, 12);
        Assert.Equal(7.0 / 18, s.MacroF1, 12);
        Assert.Equal(3, s.PerLabel.Count);
    }

    [Fact]
    public void ConfusionsCountEachMistakeMostFrequentFirst()
    {
        var s = ClassificationScores.Compute(["a", "a", "a", "b", "c", "c", "c"], ["b", "b", "a", "a", "a", "b", "b"]);
        Assert.Equal([new Confusion("a", "b", 2), new Confusion("c", "b", 2), new Confusion("b", "a", 1), new Confusion("c", "a", 1)], s.Confusions);
    }

    [Fact]
    public void GoldLabelsTheModelDoesNotKnowAreFoundAndScoredAsWrong()
    {
        var known = new CudaBert.Model.Data.LabelSet(["play", "book"]);
        var tags = new CudaBert.Model.Data.LabelSet(["O", "B-song"]);
        CudaBert.Model.Data.TwoTaskExample Example(string? intent, params string[] t) => new([.. t.Select(_ => "w")], intent, t, "test", 1);
        var examples = new[] { Example("play", "B-song"), Example("wake", "B-time", "O"), Example("wake", "O"), Example("alarm", "B-time") };
        var unknown = UnknownLabels.Find(examples, known, tags);
        Assert.Equal([("alarm", 1), ("wake", 2)], unknown.Intents);
        Assert.Equal([("B-time", 2)], unknown.Tags);
        Assert.True(UnknownLabels.Find(examples[..1], known, tags).None);

        // The model can only predict its own labels: the unknown ones count as wrong, and take part in macro-F1.
        var scores = ClassificationScores.Compute([.. examples.Select(e => e.SentenceLabel!)], ["play", "play", "play", "book"]);
        Assert.Equal(0.25, scores.Accuracy, 12);
        Assert.Equal(0, scores.PerLabel["wake"].F1);
        Assert.Equal(2, scores.PerLabel["wake"].Support);
    }

    [Fact]
    public void SentenceAccuracyNeedsIntentAndEveryTagRight()
    {
        var scores = JointScores.Compute(
            ["x", "x", "y"], ["x", "y", "y"],
            Seqs(["B-A", "O"], ["O"], ["B-B"]),
            Seqs(["B-A", "O"], ["O"], ["I-B"]));
        // Sentence 0 fully right; 1 has the wrong intent; 2 has the right entity (I-B after the
        // start is read as B-B) but a different tag string, so the frame is not exact.
        Assert.Equal(1.0 / 3, scores.SentenceAccuracy!.Value, 12);
        Assert.Equal(1.0, scores.Slots!.Overall.F1, 12);
        Assert.Equal(2.0 / 3, scores.Intent!.Accuracy, 12);
    }

    [Fact]
    public void EachPartUsesOnlyTheExamplesThatCarryItsLabels()
    {
        // Example 0 has only an intent, 1 only tags, 2 both.
        var scores = JointScores.Compute(
            ["x", null, "y"], ["x", "x", "z"],
            [null, ["B-A"], ["O"]],
            Seqs(["O"], ["O"], ["O"]));
        Assert.Equal(0.5, scores.Intent!.Accuracy, 12);   // examples 0 (right) and 2 (wrong)
        Assert.Equal(0.0, scores.Slots!.Overall.Recall, 12); // example 1's entity is missed
        Assert.Equal(0.0, scores.SentenceAccuracy!.Value, 12); // example 2: wrong intent
        Assert.Null(JointScores.Compute([null], ["x"], [["O"]], Seqs(["O"])).Intent);
    }
}
