using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// Label-aware oversampling (<see cref="TrainingOptions.OversampleLabels"/>): per-example weights for a
/// <see cref="WeightedRandomSampler"/> that draw rare sentence labels, and scarce tag-bearing examples,
/// more often than their share of the data — but not as often as the common ones: square-root
/// smoothing, as in class-balanced sampling. An epoch keeps its length (one draw per example), so the
/// common examples are seen less often in exchange.
/// </summary>
/// <remarks>
/// Two factors, multiplied:
/// <list type="number">
/// <item>Sentence labels: an example of label c (n_c examples of N_s with a sentence label) gets
/// f_c = N_s / (√n_c · Σ_k √n_k). Label c then takes the share √n_c / Σ_k √n_k of the draws instead of
/// n_c / N_s: with counts 1600 and 16, 99 % and 1 % become 91 % and 9 %. An example without a sentence
/// label keeps factor 1, and the sentence-labelled examples together keep their share.</item>
/// <item>Tags: when the examples that carry tags have a share p &lt; ½ of the weight so far, each gets the
/// factor g that raises their share to √p (3 % becomes 17 %, a third becomes 58 %);
/// g = √p·U / ((1 − √p)·T), with T and U the weights of the tagged and untagged examples.</item>
/// </list>
/// </remarks>
public static class LabelOversampling
{
    /// <summary>Let <see cref="ImbalanceRule"/> choose from the training labels.</summary>
    public const string Auto = "auto";
    /// <summary>Every example once per epoch (or as the task weights of <see cref="TrainingOptions.Oversample"/> say).</summary>
    public const string None = "none";
    /// <summary>Square-root smoothing of the sentence labels' and the tagged examples' shares (see the remarks).</summary>
    public const string Sqrt = "sqrt";
    /// <summary>The names the option takes.</summary>
    public static IReadOnlyList<string> Names { get; } = [Auto, None, Sqrt];

    /// <summary>Below this share of the draws, tag-bearing examples are scarce and drawn more often.</summary>
    public const double ScarceTagShare = 0.5;

    /// <summary>One sampling weight per example (see the remarks).</summary>
    /// <param name="examples">The training examples.</param>
    /// <param name="statistics">Their label counts (<see cref="LabelStatistics.Count"/> of the same examples).</param>
    public static double[] ExampleWeights(IReadOnlyList<TwoTaskExample> examples, LabelStatistics statistics)
    {
        var counts = statistics.Counts;
        double sqrtSum = counts.Sum(n => Math.Sqrt(n));
        var weights = new double[examples.Count];
        for (int i = 0; i < weights.Length; i++)
        {
            weights[i] = 1;
            if (examples[i].SentenceLabel is { } label && statistics.Labels.TryGetId(label, out int c))
                weights[i] = statistics.WithSentenceLabel / (Math.Sqrt(counts[c]) * sqrtSum);
        }

        double tagged = 0, untagged = 0;
        for (int i = 0; i < weights.Length; i++)
            if (examples[i].HasTags) tagged += weights[i]; else untagged += weights[i];
        double share = tagged / (tagged + untagged);
        if (tagged > 0 && share < ScarceTagShare)
        {
            double target = Math.Sqrt(share);
            double g = target * untagged / ((1 - target) * tagged);
            for (int i = 0; i < weights.Length; i++)
                if (examples[i].HasTags) weights[i] *= g;
        }
        return weights;
    }
}
