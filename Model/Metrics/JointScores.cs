using CudaBert.Model.Data;

namespace CudaBert.Model.Metrics;

/// <summary>
/// The evaluation of a two-task model over examples that may each carry either task's labels:
/// intent (sentence) scores over the examples with a gold intent, slot (entity) scores over those
/// with gold tags, and the exact-frame accuracy — the share of examples with both whose intent is
/// right and whose every tag is right (JointBERT's "semantic frame accuracy"). A part is null when no
/// example carries what it needs.
/// </summary>
public sealed record JointScores(ClassificationScores? Intent, EntityScores? Slots, double? SentenceAccuracy, int Examples)
{
    /// <summary>Scores predictions against the examples' own labels (each example's prediction at the same index).</summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static JointScores Compute(IReadOnlyList<TwoTaskExample> examples, IReadOnlyList<string> predictedIntents,
        IReadOnlyList<IReadOnlyList<string>> predictedTags) =>
        Compute(examples.Select(e => e.SentenceLabel).ToArray(), predictedIntents, examples.Select(e => (IReadOnlyList<string>?)e.Tags).ToArray(), predictedTags);

    /// <summary>
    /// Scores predictions against gold labels; the four lists are parallel, one entry per example. A null gold
    /// intent or gold tag sequence leaves that example out of that task's scores.
    /// </summary>
    /// <exception cref="ArgumentException">The lists differ in length.</exception>
    public static JointScores Compute(
        IReadOnlyList<string?> goldIntents, IReadOnlyList<string> predictedIntents,
        IReadOnlyList<IReadOnlyList<string>?> goldTags, IReadOnlyList<IReadOnlyList<string>> predictedTags)
    {
        int n = goldIntents.Count;
        if (predictedIntents.Count != n || goldTags.Count != n || predictedTags.Count != n)
            throw new ArgumentException($"{n} gold intents, {predictedIntents.Count} predicted intents, {goldTags.Count} gold and {predictedTags.Count} predicted tag sequences: all must match");

        var withIntent = Enumerable.Range(0, n).Where(i => goldIntents[i] is not null).ToArray();
        var withTags = Enumerable.Range(0, n).Where(i => goldTags[i] is not null).ToArray();
        var withBoth = withIntent.Intersect(withTags).ToArray();

        var intent = withIntent.Length == 0 ? null
            : ClassificationScores.Compute(withIntent.Select(i => goldIntents[i]!).ToArray(), withIntent.Select(i => predictedIntents[i]).ToArray());
        var slots = withTags.Length == 0 ? null
            : EntityScores.Compute(withTags.Select(i => goldTags[i]!).ToArray(), withTags.Select(i => predictedTags[i]).ToArray());
        double? frames = withBoth.Length == 0 ? null
            : (double)withBoth.Count(i => goldIntents[i] == predictedIntents[i] && goldTags[i]!.SequenceEqual(predictedTags[i])) / withBoth.Length;
        return new JointScores(intent, slots, frames, n);
    }
}
