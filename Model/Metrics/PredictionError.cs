using System.Text;
using CudaBert.Model.Data;

namespace CudaBert.Model.Metrics;

/// <summary>
/// An example the model got wrong: its gold intent was not predicted, or one of its gold word tags was not.
/// The scores say how often the model errs; these say on what, which is what a user reads to decide
/// whether an error is the model's or the annotation's (an ambiguous phrase, a name the model cannot know).
/// </summary>
/// <param name="Example">The example with its gold labels, source file and line.</param>
/// <param name="PredictedIntent">The predicted sentence label.</param>
/// <param name="PredictedTags">The predicted tag of each word.</param>
public sealed record PredictionError(TwoTaskExample Example, string PredictedIntent, IReadOnlyList<string> PredictedTags)
{
    /// <summary>True when the example has a gold intent and the prediction differs.</summary>
    public bool IntentWrong => Example.SentenceLabel is { } gold && gold != PredictedIntent;

    /// <summary>True when the example has gold tags and at least one predicted tag differs.</summary>
    public bool TagsWrong => Example.Tags is { } gold && !gold.SequenceEqual(PredictedTags);

    /// <summary>
    /// The wrong examples among <paramref name="examples"/>, in their order: those whose gold intent or gold
    /// tags (where they have them) differ from the prediction at the same index.
    /// </summary>
    /// <exception cref="ArgumentException">The three lists differ in length, or an example's predicted tags are not one per word.</exception>
    public static List<PredictionError> Find(IReadOnlyList<TwoTaskExample> examples, IReadOnlyList<string> predictedIntents,
        IReadOnlyList<IReadOnlyList<string>> predictedTags)
    {
        if (predictedIntents.Count != examples.Count || predictedTags.Count != examples.Count)
            throw new ArgumentException($"{examples.Count} examples, {predictedIntents.Count} predicted intents and {predictedTags.Count} predicted tag sequences: all must match");
        var errors = new List<PredictionError>();
        for (int i = 0; i < examples.Count; i++)
        {
            if (predictedTags[i].Count != examples[i].Words.Length)
                throw new ArgumentException($"{examples[i].Source}:{examples[i].Line}: {predictedTags[i].Count} predicted tags for {examples[i].Words.Length} words");
            var error = new PredictionError(examples[i], predictedIntents[i], predictedTags[i]);
            if (error.IntentWrong || error.TagsWrong) errors.Add(error);
        }
        return errors;
    }

    /// <summary>
    /// The words with each entity (as <see cref="IobChunker"/> reads the tags) in brackets after its type:
    /// <c>add [entity_name: digging now] to [playlist_owner: my] playlist</c>. Words outside entities stay as they are.
    /// </summary>
    public static string Frame(IReadOnlyList<string> words, IReadOnlyList<string> tags)
    {
        var starts = new Dictionary<int, EntitySpan>();
        foreach (var span in IobChunker.Chunks(tags)) starts[span.Start] = span;
        var text = new StringBuilder();
        for (int i = 0; i < words.Count; i++)
        {
            if (text.Length > 0) text.Append(' ');
            if (!starts.TryGetValue(i, out var span)) { text.Append(words[i]); continue; }
            text.Append('[').Append(span.Type).Append(": ").AppendJoin(' ', words.Skip(span.Start).Take(span.End - span.Start + 1)).Append(']');
            i = span.End;
        }
        return text.ToString();
    }
}
