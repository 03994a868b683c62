namespace CudaBert.Model.Metrics;

/// <summary>
/// Sentence-classification scores: accuracy and macro-F1 as scikit-learn's
/// <c>f1_score(average="macro")</c> computes it — the unweighted mean of per-label F1 over every
/// label that occurs in the gold or the predicted labels (a label's F1 is 0 when it has no correct
/// prediction).
/// </summary>
public sealed class ClassificationScores
{
    /// <summary>Share of examples whose predicted label equals the gold one, in [0, 1].</summary>
    public double Accuracy { get; }
    /// <summary>Unweighted mean of the per-label F1 over every label seen in gold or predictions, in [0, 1].</summary>
    public double MacroF1 { get; }
    /// <summary>Number of examples scored.</summary>
    public int Examples { get; }
    /// <summary>Precision, recall, F1 and support of each label that occurs in gold or predictions.</summary>
    public IReadOnlyDictionary<string, PrecisionRecall> PerLabel { get; }
    /// <summary>Every (gold, predicted) pair of different labels that occurs, most frequent first (ties in ordinal order of gold, then predicted).</summary>
    public IReadOnlyList<Confusion> Confusions { get; }

    ClassificationScores(double accuracy, double macroF1, int examples, IReadOnlyDictionary<string, PrecisionRecall> perLabel, IReadOnlyList<Confusion> confusions)
    {
        Confusions = confusions;
        Accuracy = accuracy;
        MacroF1 = macroF1;
        Examples = examples;
        PerLabel = perLabel;
    }

    /// <summary>Scores <paramref name="predicted"/> against <paramref name="gold"/>, position by position.</summary>
    /// <exception cref="ArgumentException">The lists differ in length, or are empty.</exception>
    public static ClassificationScores Compute(IReadOnlyList<string> gold, IReadOnlyList<string> predicted)
    {
        if (gold.Count != predicted.Count)
            throw new ArgumentException($"gold has {gold.Count} labels but predicted has {predicted.Count}");
        if (gold.Count == 0)
            throw new ArgumentException("cannot score zero examples");
        int correct = 0;
        var perLabel = new SortedDictionary<string, PrecisionRecall>(StringComparer.Ordinal);
        foreach (var label in gold.Concat(predicted).Distinct())
        {
            int tp = 0, predictedCount = 0, support = 0;
            for (int i = 0; i < gold.Count; i++)
            {
                bool g = gold[i] == label, p = predicted[i] == label;
                if (g) support++;
                if (p) predictedCount++;
                if (g && p) tp++;
            }
            perLabel[label] = PrecisionRecall.From(tp, predictedCount, support);
        }
        for (int i = 0; i < gold.Count; i++)
            if (gold[i] == predicted[i]) correct++;
        var confusions = Enumerable.Range(0, gold.Count).Where(i => gold[i] != predicted[i])
            .GroupBy(i => (gold[i], predicted[i]))
            .Select(g => new Confusion(g.Key.Item1, g.Key.Item2, g.Count()))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Gold, StringComparer.Ordinal).ThenBy(c => c.Predicted, StringComparer.Ordinal)
            .ToArray();
        return new ClassificationScores((double)correct / gold.Count, perLabel.Values.Average(s => s.F1), gold.Count, perLabel, confusions);
    }
}

/// <summary>How many examples of gold label <paramref name="Gold"/> were predicted as <paramref name="Predicted"/> (a different label).</summary>
/// <param name="Gold">The true label.</param>
/// <param name="Predicted">The label predicted instead.</param>
/// <param name="Count">Examples with that mistake.</param>
public readonly record struct Confusion(string Gold, string Predicted, int Count);
