using CudaBert.Engine;
using CudaBert.Engine.Nn;

namespace CudaBert.Tests.Engine;

/// <summary>
/// The linear-chain CRF op (<see cref="Ops.CrfNegativeLogLikelihood"/>) and decoder (<see cref="CrfViterbi"/>)
/// against brute force: every one of the T^L tag paths scored and summed (or maximised) directly.
/// </summary>
public class CrfTests
{
    const int Padding = -100;

    // Three sequences of 4, 2 and 1 words over 3 tags (ragged: padding after each one's end).
    static readonly long[] RaggedTags = [2, 0, 1, 1, 1, 2, Padding, Padding, 0, Padding, Padding, Padding];
    const int Batch = 3, Words = 4, Tags = 3;

    static Tensor R(Shape shape, ulong seed) => GradientCheck.Random(shape, seed);

    [Theory]
    [InlineData(CrfReduction.Mean)]
    [InlineData(CrfReduction.Sum)]
    public void NegativeLogLikelihoodEqualsBruteForceOverEveryPath(CrfReduction reduction)
    {
        using var scope = Tensor.Scope();
        Tensor emissions = R([Batch, Words, Tags], 1), transitions = R([Tags, Tags], 2), start = R([Tags], 3), end = R([Tags], 4);
        var tags = Tensor.FromArray(RaggedTags, [Batch, Words]);
        double loss = Ops.CrfNegativeLogLikelihood(emissions, tags, transitions, start, end, reduction).Item();

        double[] e = emissions.ToDoubleArray(), a = transitions.ToDoubleArray(), s = start.ToDoubleArray(), f = end.ToDoubleArray();
        double expected = 0;
        for (int b = 0; b < Batch; b++)
        {
            int length = RaggedTags.Skip(b * Words).Take(Words).Count(t => t != Padding);
            var sequence = e.AsSpan(b * Words * Tags, length * Tags).ToArray();
            double logZ = Math.Log(AllPaths(length).Sum(p => Math.Exp(PathScore(sequence, p, a, s, f))));
            int[] gold = RaggedTags.Skip(b * Words).Take(length).Select(t => (int)t).ToArray();
            expected += logZ - PathScore(sequence, gold, a, s, f);
        }
        if (reduction == CrfReduction.Mean) expected /= Batch;
        AssertClose.Scalar(expected, loss, $"crf nll ({reduction})", relative: 1e-12);
    }

    [Theory]
    [InlineData(CrfReduction.Mean)]
    [InlineData(CrfReduction.Sum)]
    public void BackwardMatchesFiniteDifferencesForEveryInput(CrfReduction reduction)
    {
        using var scope = Tensor.Scope();
        var tags = Tensor.FromArray(RaggedTags, [Batch, Words]);
        GradientCheck.Check(x => Ops.CrfNegativeLogLikelihood(x[0], tags, x[1], x[2], x[3], reduction),
            R([Batch, Words, Tags], 5), R([Tags, Tags], 6), R([Tags], 7), R([Tags], 8));
    }

    [Fact]
    public void EmissionsAfterASequencesEndGetNoGradient()
    {
        using var scope = Tensor.Scope();
        Tensor emissions = R([Batch, Words, Tags], 9);
        var tags = Tensor.FromArray(RaggedTags, [Batch, Words]);
        Ops.CrfNegativeLogLikelihood(emissions, tags, R([Tags, Tags], 10), R([Tags], 11), R([Tags], 12)).Backward();
        var grad = emissions.Grad!.ToDoubleArray();
        for (int i = 0; i < grad.Length; i++)
        {
            bool padded = RaggedTags[i / Tags] == Padding;
            if (padded) Assert.Equal(0.0, grad[i]);
            else Assert.NotEqual(0.0, grad[i]);
        }
        // Each word's gradient is (marginals − one-hot)/B: it sums to 0 over the tags.
        for (int w = 0; w < Batch * Words; w++)
            AssertClose.Scalar(0, grad.Skip(w * Tags).Take(Tags).Sum(), $"Σ_t demissions of word {w}", absolute: 1e-15);
    }

    [Fact]
    public void AnAllPaddingRowIsRefusedNamingIt()
    {
        using var scope = Tensor.Scope();
        var tags = Tensor.FromArray(new long[] { 1, 0, Padding, Padding, Padding, Padding }, [3, 2]);
        var error = Assert.Throws<ArgumentException>(() =>
            Ops.CrfNegativeLogLikelihood(R([3, 2, Tags], 13), tags, R([Tags, Tags], 14), R([Tags], 15), R([Tags], 16)));
        Assert.Contains("row 1 is all padding", error.Message);
    }

    [Fact]
    public void ATagAfterPaddingOrOutOfRangeIsRefusedNamingIt()
    {
        using var scope = Tensor.Scope();
        Tensor emissions = R([1, 3, Tags], 17), transitions = R([Tags, Tags], 18), start = R([Tags], 19), end = R([Tags], 20);
        var hole = Assert.Throws<ArgumentException>(() =>
            Ops.CrfNegativeLogLikelihood(emissions, Tensor.FromArray(new long[] { 1, Padding, 2 }, [1, 3]), transitions, start, end));
        Assert.Contains("tag 2 at word 2 after padding", hole.Message);
        var range = Assert.Throws<IndexOutOfRangeException>(() =>
            Ops.CrfNegativeLogLikelihood(emissions, Tensor.FromArray(new long[] { 1, 3, 0 }, [1, 3]), transitions, start, end));
        Assert.Contains("tag 3 at row 0, word 1 is outside [0, 3)", range.Message);
        var shape = Assert.Throws<ArgumentException>(() =>
            Ops.CrfNegativeLogLikelihood(emissions, Tensor.FromArray(new long[] { 1, 0, 0 }, [1, 3]), R([Tags, 2], 21), start, end));
        Assert.Contains("transitions [3, 2] must be [3, 3]", shape.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void ViterbiFindsTheBruteForceBestPath(int length)
    {
        using var scope = Tensor.Scope();
        const int tags = 4;
        for (ulong seed = 0; seed < 8; seed++)
        {
            float[] e = Floats(R([length, tags], 30 + seed)), a = Floats(R([tags, tags], 40 + seed)), s = Floats(R([tags], 50 + seed)), f = Floats(R([tags], 60 + seed));
            int[] path = CrfViterbi.Decode(e, length, a, s, f);
            int[] best = AllPaths(length, tags).MaxBy(p => PathScore(e, p, a, s, f))!;
            Assert.Equal(best, path);
        }
    }

    [Fact]
    public void ViterbiWithAMaskFindsTheBestAllowedPath()
    {
        using var scope = Tensor.Scope();
        const int tags = 3, length = 5;
        // Tag 2 may not start a sequence and may only follow tag 1 or itself (as I-X after B-X or I-X).
        var mask = new CrfTransitionMask([true, true, false], new bool[tags, tags]);
        for (int from = 0; from < tags; from++)
            for (int to = 0; to < tags; to++) mask.MayFollow[from, to] = to != 2 || from != 0;
        bool Allowed(int[] p) => mask.MayStart[p[0]] && Enumerable.Range(1, p.Length - 1).All(i => mask.MayFollow[p[i - 1], p[i]]);
        int constrained = 0;
        for (ulong seed = 0; seed < 12; seed++)
        {
            float[] e = Floats(R([length, tags], 70 + seed)), a = Floats(R([tags, tags], 80 + seed)), s = Floats(R([tags], 90 + seed)), f = Floats(R([tags], 100 + seed));
            int[] best = AllPaths(length, tags).Where(Allowed).MaxBy(p => PathScore(e, p, a, s, f))!;
            Assert.Equal(best, CrfViterbi.Decode(e, length, a, s, f, mask));
            if (!Allowed(CrfViterbi.Decode(e, length, a, s, f))) constrained++;
        }
        Assert.True(constrained > 0, "no seed had a forbidden unconstrained optimum: the mask was never tested");
    }

    [Fact]
    public void TheModuleStartsAtZeroAndDecodesEachSequenceToItsLength()
    {
        using var scope = Tensor.Scope();
        using var crf = new LinearChainCrf(Tags);
        Assert.Equal(["transitions", "start_transitions", "end_transitions"], crf.NamedParameters().Select(p => p.Name));
        Assert.All(crf.Parameters(), p => Assert.All(p.ToDoubleArray(), v => Assert.Equal(0.0, v)));
        // With zero transition scores the best path is each word's own best tag.
        var emissions = Tensor.FromArray(new float[] { 0, 1, 0, 2, 0, 0, 0, 0, 3, /* */ 0, 0, 1, 9, 9, 9, 9, 9, 9 }, [2, 3, Tags]);
        var paths = crf.Decode(emissions, [3, 1]);
        Assert.Equal([1, 0, 2], paths[0]);
        Assert.Equal([2], paths[1]);
    }

    static float[] Floats(Tensor t) => Array.ConvertAll(t.ToDoubleArray(), v => (float)v);

    static IEnumerable<int[]> AllPaths(int length, int tags = Tags)
    {
        int count = (int)Math.Pow(tags, length);
        for (int n = 0; n < count; n++)
        {
            var path = new int[length];
            for (int i = 0, rest = n; i < length; i++, rest /= tags) path[length - 1 - i] = rest % tags;
            yield return path;
        }
    }

    static double PathScore(ReadOnlySpan<double> e, int[] path, double[] a, double[] s, double[] f)
    {
        int tags = s.Length;
        double score = s[path[0]] + f[path[^1]];
        for (int i = 0; i < path.Length; i++)
            score += e[i * tags + path[i]] + (i > 0 ? a[path[i - 1] * tags + path[i]] : 0);
        return score;
    }

    static double PathScore(float[] e, int[] path, float[] a, float[] s, float[] f) =>
        PathScore(Array.ConvertAll(e, v => (double)v), path, Array.ConvertAll(a, v => (double)v), Array.ConvertAll(s, v => (double)v), Array.ConvertAll(f, v => (double)v));
}
