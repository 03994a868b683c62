using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public class SamplerTests
{
    static TwoTaskExample Example(bool sentence, bool tags, int line) =>
        new(["w"], sentence ? "intent" : null, tags ? ["O"] : null, "t", line);

    [Fact]
    public void ShuffleIsAPermutationThatDependsOnlyOnSeedAndEpoch()
    {
        var sampler = new ShuffleSampler(100, seed: 7);
        var epoch0 = sampler.EpochOrder(0);
        Assert.Equal(Enumerable.Range(0, 100), epoch0.Order());
        Assert.Equal(epoch0, new ShuffleSampler(100, seed: 7).EpochOrder(0));
        Assert.NotEqual(epoch0, sampler.EpochOrder(1));
        Assert.NotEqual(epoch0, new ShuffleSampler(100, seed: 8).EpochOrder(0));
    }

    [Fact]
    public void WeightedSamplerFrequenciesMatchWeightsWithinSamplingError()
    {
        double[] weights = [1, 0, 3, 6];
        const int draws = 200_000;
        var counts = new int[4];
        foreach (int i in new WeightedRandomSampler(weights, draws, seed: 1).EpochOrder(0)) counts[i]++;
        Assert.Equal(0, counts[1]);
        for (int i = 0; i < 4; i++)
        {
            double p = weights[i] / 10;
            // 5 standard deviations of a binomial count: fails only if the sampler is biased.
            double sigma = Math.Sqrt(draws * p * (1 - p));
            Assert.InRange(counts[i], draws * p - 5 * sigma, draws * p + 5 * sigma);
        }
    }

    [Fact]
    public void WeightedSamplerRejectsBadWeights()
    {
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, double.NaN], 10, 0));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([0, 0], 10, 0));
        Assert.Throws<ArgumentException>(() => new WeightedRandomSampler([1, -1], 10, 0));
    }

    [Fact]
    public void TaskOversamplingDrawsTheScarceTaskAsOftenAsItsWeightSays()
    {
        // 900 sentence-only examples, 100 tag-only: with equal task weights, half the draws must be
        // tag examples although they are a tenth of the data.
        var examples = Enumerable.Range(0, 1000).Select(i => Example(sentence: i < 900, tags: i >= 900, i)).ToList();
        var weights = TaskOversampling.ExampleWeights(examples, 1, 1);
        const int draws = 100_000;
        int tagDraws = new WeightedRandomSampler(weights, draws, seed: 3).EpochOrder(0).Count(i => examples[i].HasTags);
        double sigma = Math.Sqrt(draws * 0.25);
        Assert.InRange(tagDraws, draws / 2 - 5 * sigma, draws / 2 + 5 * sigma);
    }

    [Fact]
    public void TaskOversamplingCountsExamplesWithBothLabelsForEachTask()
    {
        var examples = new[] { Example(true, true, 1), Example(true, false, 2) };
        var w = TaskOversampling.ExampleWeights(examples, 1, 3);
        // sentence task: 1/2 each; token task: 3/1 for the only tagged example.
        Assert.Equal(0.5 + 3, w[0], 12);
        Assert.Equal(0.5, w[1], 12);
        Assert.Throws<ArgumentException>(() => TaskOversampling.ExampleWeights([Example(true, false, 1)], 1, 1));
    }

    [Fact]
    public void LengthBucketingGroupsSimilarLengthsAndKeepsEveryExample()
    {
        int[] lengths = Enumerable.Range(0, 64).Select(i => (i * 37) % 50 + 1).ToArray();
        var order = new ShuffleSampler(64, seed: 5).EpochOrder(0);
        var batches = LengthBucketing.Batches(order, i => lengths[i], batchSize: 8, windowBatches: 8, new DeterministicRandom(9));
        Assert.Equal(Enumerable.Range(0, 64), batches.SelectMany(b => b).Order());
        // One window covers the whole epoch: batches are sorted runs, so their length ranges don't overlap.
        var ranges = batches.Select(b => (Min: b.Min(i => lengths[i]), Max: b.Max(i => lengths[i]))).OrderBy(r => r.Min).ToList();
        for (int i = 1; i < ranges.Count; i++) Assert.True(ranges[i - 1].Max <= ranges[i].Min);
    }

    [Fact]
    public void RandomStateCanBeSavedAndRestored()
    {
        var a = new DeterministicRandom(42);
        a.NextUInt64();
        var b = new DeterministicRandom(a.State);
        Assert.Equal(a.NextUInt64(), b.NextUInt64());
        Assert.All(Enumerable.Range(0, 1000).Select(_ => a.NextInt(7)), v => Assert.InRange(v, 0, 6));
    }
}
