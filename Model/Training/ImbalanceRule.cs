using System.Globalization;

namespace CudaBert.Model.Training;

/// <summary>What <see cref="ImbalanceRule.Choose"/> picked for <c>auto</c>, and why.</summary>
/// <param name="ClassWeights">A name of <see cref="Training.ClassWeights"/>: <c>none</c> or <c>inverse-sqrt</c>.</param>
/// <param name="LabelOversampling">A name of <see cref="Training.LabelOversampling"/>: <c>none</c> or <c>sqrt</c>.</param>
/// <param name="Reason">The facts the choice rests on, in words.</param>
public sealed record ImbalanceChoice(string ClassWeights, string LabelOversampling, string Reason);

/// <summary>
/// The automatic choice of class weights and label oversampling from the training labels' statistics.
/// Balanced data changes nothing, so a run on it is the run it was without these options.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>The sentence labels are <b>skewed</b> when at least two labels have examples, the largest has at
/// least <see cref="LabelStatistics.RareCount"/> (below that, ratios are noise), and either the imbalance ratio
/// (largest / smallest count) is ≥ <see cref="SkewRatio"/> or, with three labels or more, the largest label holds
/// ≥ <see cref="DominantShare"/> of the examples. Skewed labels get <c>inverse-sqrt</c> class weights.</item>
/// <item>They are <b>severely</b> skewed when, besides, the ratio is ≥ <see cref="SevereRatio"/> or a label has
/// fewer than <see cref="LabelStatistics.RareCount"/> examples: weighting alone would lean on a handful of
/// examples seen once an epoch, so they are also drawn more often (<c>sqrt</c> oversampling).</item>
/// <item>Tags are <b>scarce</b> when some but fewer than half of the examples carry them: <c>sqrt</c>
/// oversampling too.</item>
/// <item>Task weights given for oversampling (<see cref="TrainingOptions.Oversample"/>) choose the sampling:
/// no label oversampling then.</item>
/// </list>
/// </remarks>
public static class ImbalanceRule
{
    /// <summary>Imbalance ratio from which the labels are skewed.</summary>
    public const double SkewRatio = 3;
    /// <summary>Imbalance ratio from which they are severely skewed.</summary>
    public const double SevereRatio = 10;
    /// <summary>Share of the largest label from which three or more labels are skewed.</summary>
    public const double DominantShare = 0.5;

    /// <summary>The choice for <c>auto</c> (see the remarks).</summary>
    /// <param name="s">The training labels' statistics.</param>
    /// <param name="taskWeightsGiven">Whether <see cref="TrainingOptions.Oversample"/> holds task weights.</param>
    public static ImbalanceChoice Choose(LabelStatistics s, bool taskWeightsGiven)
    {
        var why = new List<string>();
        bool skewed = false, severe = false;
        if (s.ClassesWithExamples < 2)
            why.Add($"{s.ClassesWithExamples} sentence label{(s.ClassesWithExamples == 1 ? "" : "s")} with examples: nothing to balance");
        else if (s.Largest < LabelStatistics.RareCount)
            why.Add($"every sentence label has fewer than {LabelStatistics.RareCount} examples: too few to judge balance");
        else
        {
            bool byRatio = s.ImbalanceRatio >= SkewRatio;
            bool byShare = s.ClassesWithExamples >= 3 && s.LargestShare >= DominantShare;
            skewed = byRatio || byShare;
            severe = skewed && (s.ImbalanceRatio >= SevereRatio || s.RareClasses > 0);
            string facts = $"largest/smallest label {Format(s.ImbalanceRatio)}, largest share {s.LargestShare:P0}, {s.RareClasses} under {LabelStatistics.RareCount} examples";
            why.Add(severe ? $"severely skewed labels ({facts})"
                : skewed ? $"skewed labels ({facts})"
                : $"balanced labels ({facts})");
        }
        bool scarceTags = s.Tagged > 0 && s.TaggedShare < LabelOversampling.ScarceTagShare;
        if (scarceTags) why.Add($"scarce tags ({s.TaggedShare:P0} of the examples carry them)");
        bool oversample = (severe || scarceTags) && !taskWeightsGiven;
        if ((severe || scarceTags) && taskWeightsGiven) why.Add("sampling left to the given task weights (oversample)");
        return new ImbalanceChoice(
            skewed ? ClassWeights.InverseSqrt : ClassWeights.None,
            oversample ? LabelOversampling.Sqrt : LabelOversampling.None,
            string.Join("; ", why));
    }

    static string Format(double ratio) => ratio.ToString("0.##", CultureInfo.InvariantCulture);
}
