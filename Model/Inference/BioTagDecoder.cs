using CudaBert.Engine.Nn;

namespace CudaBert.Model.Inference;

/// <summary>
/// Finds, for one sentence, the most probable sequence of BIO tags that is well-formed: an "I-X"
/// may only follow "B-X" or "I-X" (never "O", another type, or the sentence start).
/// <para>
/// The token head scores each word independently, so its per-word argmax can say "O I-city": seqeval
/// then counts a city entity that starts at the I- tag, which is usually a false positive or a
/// split entity. Treating the words' softmax distributions as independent, the probability of a
/// sequence is the product of its tags' probabilities, so the best sequence under the constraint
/// maximises Σ log p(word i = tag i) over the allowed sequences. The constraint only looks at the
/// previous tag, so dynamic programming (Viterbi) finds it exactly in O(words · tags²):
/// </para>
/// <code>
/// best[0][t]  = log p₀(t)                                   if t may start a sentence, else −∞
/// best[i][t]  = log pᵢ(t) + max over allowed s of best[i−1][s]
/// </code>
/// and the sequence is read back from the arg-max choices. A plain argmax that is already
/// well-formed is also the constrained optimum, so the decoder only changes ill-formed outputs.
/// </summary>
public sealed class BioTagDecoder
{
    readonly int _tags;
    readonly bool[] _mayStart;
    readonly bool[,] _mayFollow; // [previous, current]

    BioTagDecoder(IReadOnlyList<string> labels)
    {
        _tags = labels.Count;
        _mayStart = new bool[_tags];
        _mayFollow = new bool[_tags, _tags];
        for (int current = 0; current < _tags; current++)
        {
            string? inside = InsideType(labels[current]);
            _mayStart[current] = inside is null;
            for (int previous = 0; previous < _tags; previous++)
                _mayFollow[previous, current] = inside is null || EntityType(labels[previous]) == inside;
        }
    }

    /// <summary>
    /// A decoder for <paramref name="labels"/>, or null when no label is "I-type" (nothing to
    /// constrain). Labels other than "I-type" ("O", "B-type", or extra ones such as "PAD") may start a
    /// sentence and follow anything; "I-type" only follows "B-type" or "I-type" of the same type.
    /// </summary>
    public static BioTagDecoder? TryCreate(IReadOnlyList<string> labels) =>
        labels.Any(l => InsideType(l) is not null) ? new BioTagDecoder(labels) : null;

    /// <summary>
    /// The same constraint for a CRF's Viterbi decoder (<see cref="CrfViterbi"/>): I-X may not start a
    /// sequence and may only follow B-X or I-X.
    /// </summary>
    public CrfTransitionMask TransitionMask() => new((bool[])_mayStart.Clone(), (bool[,])_mayFollow.Clone());

    /// <summary>
    /// The best well-formed tag index of each word. <paramref name="logProbabilities"/> holds one row
    /// of <c>tags</c> log-probabilities per word that has a token; <paramref name="rowOfWord"/>[w] is
    /// word w's row, or −1 for a word with no token (cut by truncation, or nothing left after
    /// normalisation): its result is −1 too, and like an "O" it ends any entity before it.
    /// </summary>
    public int[] Decode(ReadOnlySpan<float> logProbabilities, ReadOnlySpan<int> rowOfWord)
    {
        int words = rowOfWord.Length;
        var result = new int[words];
        if (words == 0) return result;
        var best = new double[words, _tags];
        var from = new int[words, _tags];
        for (int w = 0; w < words; w++)
        {
            for (int t = 0; t < _tags; t++)
            {
                double score = Score(logProbabilities, rowOfWord[w], t);
                if (double.IsNegativeInfinity(score)) { best[w, t] = double.NegativeInfinity; continue; }
                if (w == 0)
                {
                    best[w, t] = _mayStart[t] ? score : double.NegativeInfinity;
                    continue;
                }
                // After a word without a token anything that may start a sentence may follow.
                bool afterGap = rowOfWord[w - 1] < 0;
                double bestPrevious = double.NegativeInfinity;
                int argument = 0;
                for (int s = 0; s < _tags; s++)
                    if ((afterGap ? _mayStart[t] : _mayFollow[s, t]) && best[w - 1, s] > bestPrevious) { bestPrevious = best[w - 1, s]; argument = s; }
                best[w, t] = bestPrevious + score;
                from[w, t] = argument;
            }
        }
        // A tag that is not I- is allowed anywhere, so some path is finite.
        int last = 0;
        for (int t = 1; t < _tags; t++)
            if (best[words - 1, t] > best[words - 1, last]) last = t;
        for (int w = words - 1; w >= 0; w--)
        {
            result[w] = rowOfWord[w] < 0 ? -1 : last;
            last = from[w, last];
        }
        return result;
    }

    /// <summary>A word without a token takes any tag that is not I- at no cost (its result is −1); the word after it is scored as a sentence start.</summary>
    double Score(ReadOnlySpan<float> logProbabilities, int row, int tag) =>
        row >= 0 ? logProbabilities[row * _tags + tag]
        : _mayStart[tag] ? 0 : double.NegativeInfinity;

    /// <summary>X of "I-X"; null for any other label.</summary>
    static string? InsideType(string label) => label.Length > 2 && label.StartsWith("I-", StringComparison.Ordinal) ? label[2..] : null;

    /// <summary>X of "B-X" or "I-X"; null for any other label.</summary>
    static string? EntityType(string label) =>
        label.Length > 2 && (label.StartsWith("B-", StringComparison.Ordinal) || label.StartsWith("I-", StringComparison.Ordinal)) ? label[2..] : null;
}
