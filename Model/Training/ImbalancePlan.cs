using System.Globalization;
using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// How a run meets class imbalance, resolved from <see cref="TrainingOptions.ClassWeights"/>,
/// <see cref="TrainingOptions.OversampleLabels"/> (<c>auto</c>: <see cref="ImbalanceRule"/>) and the
/// training labels: the sentence head's class weights and the sampler's example weights. The trainer
/// builds it (<see cref="MultiTaskTrainer.Imbalance"/>); the command line prints <see cref="Describe"/>.
/// </summary>
/// <param name="Statistics">The training labels' counts the plan was made from.</param>
/// <param name="ClassWeightsMode">The class weights used: <c>none</c>, <c>inverse</c>, <c>inverse-sqrt</c> or the weights file's path.</param>
/// <param name="LabelOversamplingMode">The label oversampling used: <c>none</c> or <c>sqrt</c>.</param>
/// <param name="Reason">Why: the automatic rule's reason, or that the options named the modes.</param>
/// <param name="SentenceClassWeights">One weight per sentence label id for the sentence cross-entropy; null: unweighted.</param>
/// <param name="SamplingWeights">One weight per training example for a <see cref="WeightedRandomSampler"/> (label or task oversampling); null: each example once per epoch.</param>
/// <param name="SamplingFactors">
/// Per sentence label id, how many times an example of it is drawn per epoch on average (1 without oversampling):
/// the label's share of <see cref="SamplingWeights"/> × draws per epoch (the number of examples) / its count.
/// </param>
public sealed record ImbalancePlan(LabelStatistics Statistics, string ClassWeightsMode, string LabelOversamplingMode, string Reason,
    IReadOnlyList<double>? SentenceClassWeights, IReadOnlyList<double>? SamplingWeights, IReadOnlyList<double> SamplingFactors)
{
    /// <summary>Resolves the options for <paramref name="train"/>.</summary>
    /// <exception cref="ArgumentException">The class-weights option names a file that is missing or malformed; the message names the option, the file and the line.</exception>
    public static ImbalancePlan Resolve(TrainingOptions options, IReadOnlyList<TwoTaskExample> train, LabelSet sentenceLabels)
    {
        var statistics = LabelStatistics.Count(train, sentenceLabels);
        bool taskWeights = options.Oversample.Count == 2;
        var automatic = ImbalanceRule.Choose(statistics, taskWeights);
        string classMode = options.ClassWeights == ClassWeights.Auto ? automatic.ClassWeights : options.ClassWeights;
        string samplingMode = options.OversampleLabels == LabelOversampling.Auto ? automatic.LabelOversampling : options.OversampleLabels;
        string reason = options.ClassWeights == ClassWeights.Auto || options.OversampleLabels == LabelOversampling.Auto
            ? automatic.Reason
            : "as the options say";

        double[]? classWeights = classMode switch
        {
            ClassWeights.None => null,
            ClassWeights.Inverse => ClassWeights.InverseFrequency(statistics.Counts),
            ClassWeights.InverseSqrt => ClassWeights.InverseSqrtFrequency(statistics.Counts),
            _ => ReadWeightsFile(classMode, sentenceLabels),
        };
        double[]? sampling = samplingMode == LabelOversampling.Sqrt ? LabelOversampling.ExampleWeights(train, statistics)
            : taskWeights ? TaskOversampling.ExampleWeights(train, options.Oversample[0], options.Oversample[1])
            : null;
        return new ImbalancePlan(statistics, classMode, samplingMode, reason, classWeights, sampling, DrawsPerExampleOfLabel(train, statistics, sampling));
    }

    static double[] DrawsPerExampleOfLabel(IReadOnlyList<TwoTaskExample> train, LabelStatistics statistics, double[]? sampling)
    {
        var factors = Enumerable.Repeat(1.0, statistics.Counts.Count).ToArray();
        if (sampling is null) return factors;
        var ofLabel = new double[factors.Length];
        for (int i = 0; i < train.Count; i++)
            if (train[i].SentenceLabel is { } label && statistics.Labels.TryGetId(label, out int c)) ofLabel[c] += sampling[i];
        double total = sampling.Sum();
        for (int c = 0; c < factors.Length; c++)
            if (statistics.Counts[c] > 0) factors[c] = ofLabel[c] / total * train.Count / statistics.Counts[c];
        return factors;
    }

    static double[] ReadWeightsFile(string path, LabelSet labels)
    {
        try
        {
            return ClassWeights.ReadFile(path, labels);
        }
        catch (FileNotFoundException e)
        {
            throw new ArgumentException($"option class-weights: '{path}' is none of {string.Join(", ", ClassWeights.Names)} and no such file exists", e);
        }
        catch (DataFormatException e)
        {
            throw new ArgumentException($"option class-weights: {e.Message}", e);
        }
    }

    /// <summary>The weight of sentence label <paramref name="id"/> in the loss (1 when unweighted).</summary>
    public double WeightOf(int id) => SentenceClassWeights?[id] ?? 1;

    /// <summary>The summary line and one line per rare label (<see cref="LabelStatistics.IsRare"/>), for a log.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"imbalance: class weights {ClassWeightsMode}, label oversampling {LabelOversamplingMode} — {Reason}";
        var s = Statistics;
        for (int id = 0; id < s.Labels.Count; id++)
        {
            if (!s.IsRare(id)) continue;
            yield return s.Counts[id] == 0
                ? $"  sentence label '{s.Labels[id]}': 0 examples, cannot be learned"
                : string.Create(CultureInfo.InvariantCulture,
                    $"  sentence label '{s.Labels[id]}': {s.Counts[id]} example{(s.Counts[id] == 1 ? "" : "s")}, weight {WeightOf(id):0.##}, sampled ×{SamplingFactors[id]:0.##}");
        }
    }
}
