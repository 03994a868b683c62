using CudaBert.Model.Data;

namespace CudaBert.Model.Metrics;

/// <summary>
/// The gold labels of evaluation data that a model does not have among its outputs (e.g. an intent
/// that never occurred in its training data). The model can never predict them, so the scores count
/// every such example as wrong (its intent) and every such entity as missed (its tags): nothing is
/// dropped. This says how many there are, and which, so a low score can be read for what it is.
/// </summary>
/// <param name="Intents">Each unknown gold intent and the number of examples that carry it, in ordinal order.</param>
/// <param name="Tags">Each unknown gold tag and the number of words that carry it, in ordinal order.</param>
public sealed record UnknownLabels(IReadOnlyList<(string Label, int Count)> Intents, IReadOnlyList<(string Label, int Count)> Tags)
{
    /// <summary>True when every gold label of the data is known to the model.</summary>
    public bool None => Intents.Count == 0 && Tags.Count == 0;

    /// <summary>Finds the gold intents and tags of <paramref name="examples"/> that are not in the model's label sets.</summary>
    /// <param name="examples">The evaluation examples; unlabelled parts are ignored.</param>
    /// <param name="sentenceLabels">The model's sentence labels.</param>
    /// <param name="tokenLabels">The model's tags.</param>
    public static UnknownLabels Find(IReadOnlyList<TwoTaskExample> examples, LabelSet sentenceLabels, LabelSet tokenLabels)
    {
        static (string, int)[] Count(IEnumerable<string> labels, LabelSet known) =>
            [.. labels.Where(l => !known.TryGetId(l, out _)).GroupBy(l => l).Select(g => (g.Key, g.Count())).OrderBy(g => g.Key, StringComparer.Ordinal)];
        return new UnknownLabels(
            Count(examples.Where(e => e.SentenceLabel is not null).Select(e => e.SentenceLabel!), sentenceLabels),
            Count(examples.Where(e => e.Tags is not null).SelectMany(e => e.Tags!), tokenLabels));
    }
}
