namespace CudaBert.Engine.Cpu;

/// <summary>
/// The linear-chain CRF recursions for one sequence, in float64 and in log space. With emissions
/// e[i, t] (word i, tag t), transitions A[s, t] (from s to t), start scores π[t] and end scores ω[t],
/// a path y of L tags scores
/// <code>
/// score(y) = π[y₀] + Σᵢ e[i, yᵢ] + Σ_{i≥1} A[yᵢ₋₁, yᵢ] + ω[y_{L−1}]
/// </code>
/// and log Z = log Σ_y exp score(y) over all T^L paths. Two recursions compute it in O(L·T²):
/// <code>
/// forward   α[0, t] = π[t] + e[0, t]        α[i, t] = e[i, t] + logsumexp_s (α[i−1, s] + A[s, t])
/// backward  β[L−1, t] = ω[t]                β[i, s] = logsumexp_t (A[s, t] + e[i+1, t] + β[i+1, t])
/// log Z = logsumexp_t (α[L−1, t] + ω[t])
/// </code>
/// α[i, t] sums every path prefix that ends in t at word i, β[i, t] every suffix that leaves t there,
/// so P(yᵢ = t) = exp(α[i, t] + β[i, t] − log Z), and P(yᵢ₋₁ = s, yᵢ = t) = exp(α[i−1, s] + A[s, t] +
/// e[i, t] + β[i, t] − log Z): the marginals that make up the gradient of log Z.
/// </summary>
internal sealed class CrfForwardBackward(double[] transitions, double[] start, double[] end)
{
    readonly int _tags = start.Length;

    /// <summary>log Z of the first <paramref name="length"/> words of <paramref name="emissions"/> [W, T]; α [W, T] is written for those words.</summary>
    public double LogPartition(ReadOnlySpan<double> emissions, int length, Span<double> alpha)
    {
        int tags = _tags;
        Span<double> terms = stackalloc double[tags];
        for (int t = 0; t < tags; t++) alpha[t] = start[t] + emissions[t];
        for (int i = 1; i < length; i++)
        {
            var previous = alpha.Slice((i - 1) * tags, tags);
            for (int t = 0; t < tags; t++)
            {
                for (int s = 0; s < tags; s++) terms[s] = previous[s] + transitions[s * tags + t];
                alpha[i * tags + t] = emissions[i * tags + t] + LogSumExp(terms);
            }
        }
        var last = alpha.Slice((length - 1) * tags, tags);
        for (int t = 0; t < tags; t++) terms[t] = last[t] + end[t];
        return LogSumExp(terms);
    }

    /// <summary>β [W, T] of the first <paramref name="length"/> words.</summary>
    public void Backward(ReadOnlySpan<double> emissions, int length, Span<double> beta)
    {
        int tags = _tags;
        Span<double> terms = stackalloc double[tags];
        for (int t = 0; t < tags; t++) beta[(length - 1) * tags + t] = end[t];
        for (int i = length - 2; i >= 0; i--)
        {
            var next = beta.Slice((i + 1) * tags, tags);
            var nextEmissions = emissions.Slice((i + 1) * tags, tags);
            for (int s = 0; s < tags; s++)
            {
                for (int t = 0; t < tags; t++) terms[t] = transitions[s * tags + t] + nextEmissions[t] + next[t];
                beta[i * tags + s] = LogSumExp(terms);
            }
        }
    }

    /// <summary>score(<paramref name="path"/>) over its first <paramref name="length"/> words.</summary>
    public double Score(ReadOnlySpan<double> emissions, ReadOnlySpan<long> path, int length)
    {
        double score = start[path[0]] + end[path[length - 1]];
        for (int i = 0; i < length; i++)
        {
            score += emissions[i * _tags + (int)path[i]];
            if (i > 0) score += transitions[path[i - 1] * _tags + path[i]];
        }
        return score;
    }

    /// <summary>
    /// ∂(log Z − score(path))/∂· times <paramref name="g"/>: marginals minus the path's one-hots. Writes
    /// the first <paramref name="length"/> rows of <paramref name="demissions"/> [W, T] (the caller clears
    /// the rest) and adds to <paramref name="dtransitions"/> [T, T], <paramref name="dstart"/> and <paramref name="dend"/> [T].
    /// </summary>
    public void AddGradient(ReadOnlySpan<double> emissions, ReadOnlySpan<long> path, int length, ReadOnlySpan<double> alpha, ReadOnlySpan<double> beta,
        double logPartition, double g, Span<double> demissions, Span<double> dtransitions, Span<double> dstart, Span<double> dend)
    {
        int tags = _tags;
        for (int i = 0; i < length; i++)
            for (int t = 0; t < tags; t++)
                demissions[i * tags + t] = g * Math.Exp(alpha[i * tags + t] + beta[i * tags + t] - logPartition);
        for (int t = 0; t < tags; t++)
        {
            dstart[t] += demissions[t];
            dend[t] += demissions[(length - 1) * tags + t];
        }
        for (int i = 1; i < length; i++)
            for (int s = 0; s < tags; s++)
                for (int t = 0; t < tags; t++)
                    dtransitions[s * tags + t] += g * Math.Exp(alpha[(i - 1) * tags + s] + transitions[s * tags + t] + emissions[i * tags + t] + beta[i * tags + t] - logPartition);
        // The one-hots of the observed path.
        dstart[(int)path[0]] -= g;
        dend[(int)path[length - 1]] -= g;
        for (int i = 0; i < length; i++)
        {
            demissions[i * tags + (int)path[i]] -= g;
            if (i > 0) dtransitions[(int)path[i - 1] * tags + (int)path[i]] -= g;
        }
    }

    static double LogSumExp(ReadOnlySpan<double> values)
    {
        double max = double.NegativeInfinity;
        foreach (double v in values) max = Math.Max(max, v);
        if (double.IsNegativeInfinity(max)) return max;
        double sum = 0;
        foreach (double v in values) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
