namespace CudaBert.Model.Training;

/// <summary>
/// Draws a fixed number of example indices per epoch with replacement, example i with probability
/// weight[i] / Σ weight (as <c>torch.utils.data.WeightedRandomSampler</c>). Each draw is a binary
/// search of a uniform number in [0, Σ weight) among the cumulative weights.
/// </summary>
public sealed class WeightedRandomSampler : ISampler
{
    readonly double[] _cumulative;
    readonly int _samplesPerEpoch;
    readonly ulong _seed;

    /// <summary>A sampler over <c>weights.Count</c> examples.</summary>
    /// <param name="weights">One non-negative, finite weight per example (need not sum to 1); at least one positive.</param>
    /// <param name="samplesPerEpoch">Draws per epoch, at least 1 (the trainer uses the number of examples).</param>
    /// <param name="seed">With the epoch number, fixes every draw.</param>
    /// <exception cref="ArgumentException">A weight is negative, infinite or NaN, or all are 0.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="samplesPerEpoch"/> is below 1.</exception>
    public WeightedRandomSampler(IReadOnlyList<double> weights, int samplesPerEpoch, ulong seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samplesPerEpoch);
        _cumulative = new double[weights.Count];
        double total = 0;
        for (int i = 0; i < weights.Count; i++)
        {
            if (!(weights[i] >= 0) || double.IsInfinity(weights[i]))
                throw new ArgumentException($"weight {i} is {weights[i]}; weights must be finite and ≥ 0", nameof(weights));
            total += weights[i];
            _cumulative[i] = total;
        }
        if (!(total > 0)) throw new ArgumentException("at least one weight must be positive", nameof(weights));
        _samplesPerEpoch = samplesPerEpoch;
        _seed = seed;
    }

    /// <inheritdoc/>
    public int[] EpochOrder(int epoch)
    {
        var random = DeterministicRandom.For(_seed, 2, (ulong)epoch);
        double total = _cumulative[^1];
        var order = new int[_samplesPerEpoch];
        for (int s = 0; s < order.Length; s++)
            order[s] = FirstGreater(_cumulative, random.NextDouble() * total);
        return order;
    }

    /// <summary>The first index whose cumulative weight exceeds u: zero-weight examples are never chosen.</summary>
    static int FirstGreater(double[] cumulative, double u)
    {
        int lo = 0, hi = cumulative.Length - 1;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (cumulative[mid] > u) hi = mid; else lo = mid + 1;
        }
        return lo;
    }
}
