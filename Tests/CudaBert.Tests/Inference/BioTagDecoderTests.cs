using CudaBert.Model.Inference;

namespace CudaBert.Tests.Inference;

public sealed class BioTagDecoderTests
{
    static readonly string[] Labels = ["PAD", "O", "B-city", "I-city", "B-time", "I-time"];

    /// <summary>Rows of log-probabilities from rows of probabilities (each row sums to 1).</summary>
    static float[] LogRows(params double[][] rows) => rows.SelectMany(r => r.Select(p => (float)Math.Log(p))).ToArray();

    static string[] Decode(float[] logProbabilities, params int[] rowOfWord) =>
        BioTagDecoder.TryCreate(Labels)!.Decode(logProbabilities, rowOfWord).Select(t => t < 0 ? "-" : Labels[t]).ToArray();

    [Fact]
    public void AnInsideTagAfterOutsideBecomesTheBestWellFormedSequence()
    {
        // Word by word the argmax is "O I-city": not well-formed. Sequence probabilities (products),
        // worked by hand: B-city I-city = .35·.6 = .21 beats O O = .55·.3 = .165, B-city O = .35·.3 and O B-city = .55·.1.
        float[] scores = LogRows(
            [0.01, 0.55, 0.35, 0.05, 0.02, 0.02],
            Normalised([0, 0.3, 0.1, 0.6, 0, 0]));
        Assert.Equal(["B-city", "I-city"], Decode(scores, 0, 1));

        // With B-city less likely, dropping the inside tag wins: O O = .7·.3 = .21 > B-city I-city = .2·.6 = .12.
        float[] other = LogRows(
            [0.01, 0.70, 0.20, 0.05, 0.02, 0.02],
            Normalised([0, 0.3, 0.1, 0.6, 0, 0]));
        Assert.Equal(["O", "O"], Decode(other, 0, 1));
    }

    static double[] Normalised(double[] row)
    {
        double[] positive = row.Select(p => Math.Max(p, 1e-9)).ToArray();
        double sum = positive.Sum();
        return positive.Select(p => p / sum).ToArray();
    }

    [Fact]
    public void AWellFormedArgmaxIsKept()
    {
        float[] scores = LogRows(
            Normalised([0, 0.1, 0.8, 0.05, 0.05, 0]),
            Normalised([0, 0.1, 0.05, 0.8, 0.05, 0]),
            Normalised([0, 0.9, 0.05, 0.05, 0, 0]),
            Normalised([0, 0.1, 0.05, 0, 0.8, 0.05]));
        Assert.Equal(["B-city", "I-city", "O", "B-time"], Decode(scores, 0, 1, 2, 3));
    }

    [Fact]
    public void AWordWithoutATokenIsMinusOneAndEndsTheEntityBeforeIt()
    {
        // Words 0 and 2 have rows 0 and 1; word 1 has no token. I-city may not continue across it.
        float[] scores = LogRows(
            Normalised([0, 0.05, 0.9, 0.05, 0, 0]),
            Normalised([0, 0.3, 0.05, 0.65, 0, 0]));
        Assert.Equal(["B-city", "-", "O"], Decode(scores, 0, -1, 1));
    }

    [Fact]
    public void WithoutInsideLabelsThereIsNothingToConstrain()
    {
        Assert.Null(BioTagDecoder.TryCreate(["O", "B-city", "B-time"]));
        Assert.Null(BioTagDecoder.TryCreate(["positive", "negative"]));
        Assert.NotNull(BioTagDecoder.TryCreate(["O", "B-city", "I-city"]));
    }

    /// <summary>
    /// Against exhaustive search: every tag sequence of up to 5 words over the 6 labels (7,776 at 5
    /// words), random probabilities, random words without tokens. The decoder's sequence must be
    /// well-formed and score exactly the best well-formed score.
    /// </summary>
    [Fact]
    public void MatchesExhaustiveSearchOverEveryTagSequence()
    {
        var random = new Random(20261126);
        var decoder = BioTagDecoder.TryCreate(Labels)!;
        int tags = Labels.Length;
        for (int trial = 0; trial < 300; trial++)
        {
            int words = 1 + random.Next(5);
            int[] rowOfWord = new int[words];
            int rows = 0;
            for (int w = 0; w < words; w++) rowOfWord[w] = random.Next(6) == 0 ? -1 : rows++;
            // Peaked random distributions, so that ill-formed argmaxes are common.
            float[] logProbabilities = Enumerable.Range(0, rows)
                .SelectMany(_ => Normalised(Enumerable.Range(0, tags).Select(_ => Math.Pow(random.NextDouble(), 3)).ToArray()))
                .Select(p => (float)Math.Log(p)).ToArray();

            int[] decoded = decoder.Decode(logProbabilities, rowOfWord);
            for (int w = 0; w < words; w++) Assert.Equal(rowOfWord[w] < 0, decoded[w] < 0);
            Assert.True(WellFormed(decoded), $"trial {trial}: {string.Join(' ', decoded)} is not well-formed");

            double best = double.NegativeInfinity;
            foreach (int[] sequence in AllSequences(words, tags, rowOfWord))
                if (WellFormed(sequence)) best = Math.Max(best, Score(sequence, logProbabilities, rowOfWord, tags));
            AssertClose.Scalar(best, Score(decoded, logProbabilities, rowOfWord, tags), "Score(decoded, logProbabilities, rowOfWord, tags)", absolute: 1e-9);
        }
    }

    /// <summary>I-X only after B-X or I-X; a word without a token (−1) ends every entity.</summary>
    static bool WellFormed(int[] sequence)
    {
        for (int w = 0; w < sequence.Length; w++)
        {
            if (sequence[w] < 0 || !Labels[sequence[w]].StartsWith("I-")) continue;
            if (w == 0 || sequence[w - 1] < 0) return false;
            string previous = Labels[sequence[w - 1]];
            if (!(previous.StartsWith("B-") || previous.StartsWith("I-")) || previous[2..] != Labels[sequence[w]][2..]) return false;
        }
        return true;
    }

    static double Score(int[] sequence, float[] logProbabilities, int[] rowOfWord, int tags)
    {
        double sum = 0;
        for (int w = 0; w < sequence.Length; w++)
            if (rowOfWord[w] >= 0) sum += logProbabilities[rowOfWord[w] * tags + sequence[w]];
        return sum;
    }

    /// <summary>Every assignment of tags to the words that have a token (−1 for the others).</summary>
    static IEnumerable<int[]> AllSequences(int words, int tags, int[] rowOfWord)
    {
        var current = new int[words];
        IEnumerable<int[]> Fill(int w)
        {
            if (w == words) { yield return (int[])current.Clone(); yield break; }
            if (rowOfWord[w] < 0)
            {
                current[w] = -1;
                foreach (var s in Fill(w + 1)) yield return s;
                yield break;
            }
            for (int t = 0; t < tags; t++)
            {
                current[w] = t;
                foreach (var s in Fill(w + 1)) yield return s;
            }
        }
        return Fill(0);
    }
}
