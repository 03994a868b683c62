namespace CudaBert.Engine.Nn;

/// <summary>
/// The highest-scoring tag path of one sequence under a linear-chain CRF (see
/// <see cref="Ops.CrfNegativeLogLikelihood"/> for the score), on the host, by dynamic programming:
/// <code>
/// best[0, t] = start[t] + e[0, t]
/// best[i, t] = e[i, t] + max_s (best[i−1, s] + transitions[s, t])      (and from[i, t] = that s)
/// last       = argmax_t (best[L−1, t] + end[t])
/// </code>
/// then the path is read back through <c>from</c>. O(L·T²) instead of the T^L paths; sums in float64.
/// Ties go to the lowest tag index.
/// </summary>
public static class CrfViterbi
{
    /// <summary>The best path's tags, one per word.</summary>
    /// <param name="emissions">[L, T] (row-major; at least <paramref name="length"/> rows) the words' tag scores.</param>
    /// <param name="length">L, the number of words (0 gives an empty path).</param>
    /// <param name="transitions">[T, T] score of tag s followed by tag t at [s, t].</param>
    /// <param name="start">[T] score of starting with each tag.</param>
    /// <param name="end">[T] score of ending with each tag.</param>
    /// <param name="allowed">Steps the path may take (null: any).</param>
    /// <exception cref="ArgumentException">A shape does not fit T = <paramref name="start"/>.Length, or <paramref name="allowed"/> leaves no path.</exception>
    public static int[] Decode(ReadOnlySpan<float> emissions, int length, ReadOnlySpan<float> transitions, ReadOnlySpan<float> start, ReadOnlySpan<float> end,
        CrfTransitionMask? allowed = null)
    {
        int tags = start.Length;
        if (tags == 0 || end.Length != tags || transitions.Length != tags * tags || emissions.Length < length * tags || length < 0)
            throw new ArgumentException($"crf viterbi: {tags} start scores need {tags} end scores (got {end.Length}), {tags * tags} transitions (got {transitions.Length}) and {length}×{tags} emissions (got {emissions.Length})");
        if (allowed is not null && (allowed.MayStart.Length != tags || allowed.MayFollow.GetLength(0) != tags || allowed.MayFollow.GetLength(1) != tags))
            throw new ArgumentException($"crf viterbi: the transition mask is for {allowed.MayStart.Length} tags, the scores for {tags}");
        var path = new int[length];
        if (length == 0) return path;

        var best = new double[length * tags];
        var from = new int[length * tags];
        for (int t = 0; t < tags; t++)
            best[t] = allowed is null || allowed.MayStart[t] ? start[t] + (double)emissions[t] : double.NegativeInfinity;
        for (int i = 1; i < length; i++)
            for (int t = 0; t < tags; t++)
            {
                double top = double.NegativeInfinity;
                int argument = 0;
                for (int s = 0; s < tags; s++)
                {
                    if (allowed is not null && !allowed.MayFollow[s, t]) continue;
                    double candidate = best[(i - 1) * tags + s] + transitions[s * tags + t];
                    if (candidate > top) (top, argument) = (candidate, s);
                }
                best[i * tags + t] = top + emissions[i * tags + t];
                from[i * tags + t] = argument;
            }

        int last = -1;
        double lastScore = double.NegativeInfinity;
        for (int t = 0; t < tags; t++)
        {
            double score = best[(length - 1) * tags + t] + end[t];
            if (score > lastScore) (lastScore, last) = (score, t);
        }
        if (last < 0) throw new ArgumentException($"crf viterbi: the transition mask allows no path of {length} words");
        for (int i = length - 1; i >= 0; i--)
        {
            path[i] = last;
            last = from[i * tags + last];
        }
        return path;
    }
}
