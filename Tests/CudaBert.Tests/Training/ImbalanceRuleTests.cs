using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>One test per branch of the automatic choice of class weights and label oversampling.</summary>
public sealed class ImbalanceRuleTests
{
    /// <summary>Statistics for sentence label counts (labels L0, L1, …) and a number of tagged examples.</summary>
    static LabelStatistics Stats(int[] counts, int? tagged = null, int untaggedWithoutLabel = 0)
    {
        int examples = counts.Sum() + untaggedWithoutLabel;
        return new LabelStatistics(new LabelSet(counts.Select((_, i) => $"L{i}")), counts, examples, tagged ?? examples);
    }

    static (string, string) Choose(LabelStatistics s, bool taskWeights = false)
    {
        var choice = ImbalanceRule.Choose(s, taskWeights);
        return (choice.ClassWeights, choice.LabelOversampling);
    }

    [Fact]
    public void SnipsChangesNothing()
    {
        // The real SNIPS train split with its label file: 7 intents of about 1,900 examples (and UNK, with none), all tagged.
        string snips = RepositoryFiles.SnipsDirectory;
        var train = TrainingData.ReadAny(Path.Combine(snips, "train"), new DataReadOptions());
        var statistics = LabelStatistics.Count(train, LabelSet.ReadFile(Path.Combine(snips, "intent_label.txt")));
        Assert.Equal(7, statistics.ClassesWithExamples);
        Assert.Equal(("none", "none"), Choose(statistics));

        var plan = ImbalancePlan.Resolve(new TrainingOptions(), train, statistics.Labels);
        Assert.Null(plan.SentenceClassWeights);
        Assert.Null(plan.SamplingWeights);
    }

    [Fact]
    public void FewerThanTwoLabelsWithExamplesChangeNothing() =>
        Assert.Equal(("none", "none"), Choose(Stats([0, 500, 0])));

    [Fact]
    public void TinyCountsAreNotJudged() =>
        // Ratio 9 and a label under 10 examples, but the largest has 9: too few to tell skew from chance.
        Assert.Equal(("none", "none"), Choose(Stats([9, 1, 4])));

    [Fact]
    public void ARatioOfThreeWeightsTheLabels()
    {
        Assert.Equal(("inverse-sqrt", "none"), Choose(Stats([300, 100, 250, 250])));   // largest share 33 %
        Assert.Equal(("none", "none"), Choose(Stats([290, 100, 200])));   // ratio 2.9, largest share 49 %
    }

    [Fact]
    public void ADominantLabelWeightsTheLabelsEvenAtALowRatio()
    {
        // Ratio 2, but the largest label holds half of the examples.
        Assert.Equal(("inverse-sqrt", "none"), Choose(Stats([300, 150, 150, 0])));
        Assert.Equal(("none", "none"), Choose(Stats([250, 250])));   // two labels: a half is balance
    }

    [Fact]
    public void ARatioOfTenAlsoOversamples() =>
        Assert.Equal(("inverse-sqrt", "sqrt"), Choose(Stats([1000, 100, 300])));

    [Fact]
    public void ALabelUnderTenExamplesInSkewedDataAlsoOversamples() =>
        // Ratio 4 (under 10), but a label has 9 examples.
        Assert.Equal(("inverse-sqrt", "sqrt"), Choose(Stats([36, 9, 20])));

    [Fact]
    public void ScarceTagsOversampleBalancedLabels()
    {
        Assert.Equal(("none", "sqrt"), Choose(Stats([100, 100, 100], tagged: 149)));
        Assert.Equal(("none", "none"), Choose(Stats([100, 100, 100], tagged: 150)));   // half: not scarce
        Assert.Equal(("none", "none"), Choose(Stats([100, 100, 100], tagged: 0)));     // no tags: nothing to raise
    }

    [Fact]
    public void GivenTaskWeightsLeaveTheSamplingToThem()
    {
        var choice = ImbalanceRule.Choose(Stats([1000, 5, 300], tagged: 10), taskWeightsGiven: true);
        Assert.Equal(("inverse-sqrt", "none"), (choice.ClassWeights, choice.LabelOversampling));
        Assert.Contains("task weights", choice.Reason);
    }

    [Fact]
    public void TheReasonStatesTheFacts()
    {
        string reason = ImbalanceRule.Choose(Stats([1000, 5, 300]), false).Reason;
        Assert.Contains("severely skewed", reason);
        Assert.Contains("largest/smallest label 200", reason);
        Assert.Contains("1 under 10 examples", reason);
    }
}
