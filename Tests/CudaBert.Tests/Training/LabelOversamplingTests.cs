using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public sealed class LabelOversamplingTests
{
    static TwoTaskExample Example(string? label, bool tagged) =>
        new(["w"], label, tagged ? ["O"] : null, "test", 1);

    static List<TwoTaskExample> Examples(params (string? Label, bool Tagged, int Count)[] groups) =>
        groups.SelectMany(g => Enumerable.Repeat(Example(g.Label, g.Tagged), g.Count)).ToList();

    static double Share(List<TwoTaskExample> examples, double[] weights, Func<TwoTaskExample, bool> which) =>
        examples.Select((e, i) => which(e) ? weights[i] : 0).Sum() / weights.Sum();

    [Fact]
    public void RareLabelsGetTheSquareRootOfTheirShare()
    {
        // 1600 and 16 examples: √1600 = 40 and √16 = 4, so 40/44 and 4/44 of the draws instead of 99 % and 1 %.
        var examples = Examples(("A", true, 1600), ("B", true, 16));
        var labels = new LabelSet(["A", "B"]);
        double[] w = LabelOversampling.ExampleWeights(examples, LabelStatistics.Count(examples, labels));
        Assert.Equal(4.0 / 44, Share(examples, w, e => e.SentenceLabel == "B"), 12);
    }

    [Fact]
    public void ExamplesWithoutASentenceLabelKeepTheirShare()
    {
        var examples = Examples(("A", true, 80), ("B", true, 20), (null, true, 100));
        double[] w = LabelOversampling.ExampleWeights(examples, LabelStatistics.Count(examples, new LabelSet(["A", "B"])));
        Assert.Equal(0.5, Share(examples, w, e => e.SentenceLabel is null), 12);
        Assert.Equal(2.0 / 6 * 0.5, Share(examples, w, e => e.SentenceLabel == "B"), 12);   // √20 / (√80 + √20) = 1/3 of the labelled half
    }

    [Fact]
    public void ScarceTaggedExamplesGetTheSquareRootOfTheirShare()
    {
        // 4 % tagged → 20 %; at half or more, tags are not scarce and keep their share.
        var scarce = Examples(("A", true, 4), ("A", false, 96));
        var labels = new LabelSet(["A"]);
        double[] w = LabelOversampling.ExampleWeights(scarce, LabelStatistics.Count(scarce, labels));
        Assert.Equal(0.2, Share(scarce, w, e => e.HasTags), 12);

        var plenty = Examples(("A", true, 50), ("A", false, 50));
        double[] same = LabelOversampling.ExampleWeights(plenty, LabelStatistics.Count(plenty, labels));
        Assert.Equal(0.5, Share(plenty, same, e => e.HasTags), 12);
    }
}
