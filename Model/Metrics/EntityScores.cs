namespace CudaBert.Model.Metrics;

/// <summary>Precision, recall and F1 of one entity type (or of all, micro-averaged) with its support.</summary>
public readonly record struct PrecisionRecall(double Precision, double Recall, double F1, int Support, int Predicted, int Correct)
{
    /// <summary>Precision = correct / predicted, recall = correct / support and their harmonic mean F1; a ratio with a zero denominator is 0.</summary>
    /// <param name="correct">Predictions that match a gold item exactly.</param>
    /// <param name="predicted">Items predicted.</param>
    /// <param name="support">Gold items.</param>
    public static PrecisionRecall From(int correct, int predicted, int support)
    {
        // seqeval/sklearn convention: a ratio with a zero denominator is 0.
        double p = predicted == 0 ? 0 : (double)correct / predicted;
        double r = support == 0 ? 0 : (double)correct / support;
        double f = p + r == 0 ? 0 : 2 * p * r / (p + r);
        return new PrecisionRecall(p, r, f, support, predicted, correct);
    }
}

/// <summary>
/// Entity-level scores as <c>seqeval.metrics.f1_score</c> / <c>classification_report</c> compute
/// them (default mode): an entity counts as correct only when type, start and end all match; the
/// overall figures are micro-averaged over all entities.
/// </summary>
public sealed class EntityScores
{
    /// <summary>Micro-averaged over all entities of all types.</summary>
    public PrecisionRecall Overall { get; }
    /// <summary>The scores of each entity type that occurs in gold or predictions.</summary>
    public IReadOnlyDictionary<string, PrecisionRecall> PerType { get; }

    EntityScores(PrecisionRecall overall, IReadOnlyDictionary<string, PrecisionRecall> perType)
    {
        Overall = overall;
        PerType = perType;
    }

    /// <summary>Scores predicted tag sequences against gold ones, sentence by sentence.</summary>
    public static EntityScores Compute(IReadOnlyList<IReadOnlyList<string>> gold, IReadOnlyList<IReadOnlyList<string>> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} sentences but predicted has {predicted.Count}");
        var goldSet = new HashSet<(int Sentence, EntitySpan Span)>();
        var predSet = new HashSet<(int Sentence, EntitySpan Span)>();
        for (int s = 0; s < gold.Count; s++)
        {
            if (gold[s].Count != predicted[s].Count)
                throw new ArgumentException($"sentence {s}: gold has {gold[s].Count} tags but predicted has {predicted[s].Count}");
            foreach (var e in IobChunker.Chunks(gold[s])) goldSet.Add((s, e));
            foreach (var e in IobChunker.Chunks(predicted[s])) predSet.Add((s, e));
        }

        var types = goldSet.Select(e => e.Span.Type).Concat(predSet.Select(e => e.Span.Type)).Distinct().Order(StringComparer.Ordinal);
        var perType = new SortedDictionary<string, PrecisionRecall>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            int support = goldSet.Count(e => e.Span.Type == type);
            int predictedCount = predSet.Count(e => e.Span.Type == type);
            int correct = predSet.Count(e => e.Span.Type == type && goldSet.Contains(e));
            perType[type] = PrecisionRecall.From(correct, predictedCount, support);
        }
        int allCorrect = predSet.Count(goldSet.Contains);
        return new EntityScores(PrecisionRecall.From(allCorrect, predSet.Count, goldSet.Count), perType);
    }
}
