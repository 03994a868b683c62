using CudaBert.Model.Data;

namespace CudaBert.Model.Training;

/// <summary>
/// How the training examples spread over the sentence labels, and how many carry tags: the facts
/// <see cref="ImbalanceRule"/> decides from and the class weights and label oversampling are computed from.
/// </summary>
/// <param name="Labels">The sentence label set; <see cref="Counts"/> is indexed by its ids.</param>
/// <param name="Counts">Training examples per sentence label id (0 for a label no example carries).</param>
/// <param name="Examples">All training examples.</param>
/// <param name="Tagged">Training examples that carry tags.</param>
public sealed record LabelStatistics(LabelSet Labels, IReadOnlyList<int> Counts, int Examples, int Tagged)
{
    /// <summary>Below this many examples a label counts as rare, whatever the others have.</summary>
    public const int RareCount = 10;

    /// <summary>
    /// Counts the sentence labels and tags of <paramref name="examples"/>. A sentence label that is not in
    /// <paramref name="labels"/> is not counted (the collator refuses it, naming the example, when its batch is made).
    /// </summary>
    public static LabelStatistics Count(IReadOnlyList<TwoTaskExample> examples, LabelSet labels)
    {
        var counts = new int[labels.Count];
        foreach (var e in examples)
            if (e.SentenceLabel is { } label && labels.TryGetId(label, out int id)) counts[id]++;
        return new LabelStatistics(labels, counts, examples.Count, examples.Count(e => e.HasTags));
    }

    /// <summary>Examples that carry a sentence label.</summary>
    public int WithSentenceLabel => Counts.Sum();
    /// <summary>Sentence labels that at least one training example carries: the classes that can be learned.</summary>
    public int ClassesWithExamples => Counts.Count(n => n > 0);
    /// <summary>The largest count of a label.</summary>
    public int Largest => Counts.DefaultIfEmpty(0).Max();
    /// <summary>The smallest count among the labels that have examples (0 when none has).</summary>
    public int Smallest => Counts.Where(n => n > 0).DefaultIfEmpty(0).Min();
    /// <summary>Imbalance ratio: largest count / smallest non-zero count (1 when no label has examples).</summary>
    public double ImbalanceRatio => Smallest == 0 ? 1 : (double)Largest / Smallest;
    /// <summary>The largest label's share of the sentence-labelled examples (0 when there are none).</summary>
    public double LargestShare => WithSentenceLabel == 0 ? 0 : (double)Largest / WithSentenceLabel;
    /// <summary>Labels with at least one and fewer than <see cref="RareCount"/> examples.</summary>
    public int RareClasses => Counts.Count(n => n is > 0 and < RareCount);
    /// <summary>The share of examples that carry tags (0 when there are no examples).</summary>
    public double TaggedShare => Examples == 0 ? 0 : (double)Tagged / Examples;

    /// <summary>
    /// A label worth a line in the log: one that has no example, fewer than <see cref="RareCount"/>, or
    /// under a quarter of the mean count per learnable label.
    /// </summary>
    public bool IsRare(int id) =>
        Counts[id] < RareCount || 4.0 * Counts[id] * ClassesWithExamples < WithSentenceLabel;
}
