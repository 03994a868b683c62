namespace CudaBert.Model.Training;

/// <summary>
/// Decides which examples an epoch visits and in what order. The order is a pure function of the
/// seed and the epoch number, so resuming a run only needs (epoch, position in epoch).
/// </summary>
public interface ISampler
{
    /// <summary>Example indices of one epoch, in visiting order.</summary>
    int[] EpochOrder(int epoch);
}

/// <summary>Every example once per epoch, reshuffled each epoch (or in file order when not shuffling).</summary>
public sealed class ShuffleSampler(int count, ulong seed, bool shuffle = true) : ISampler
{
    /// <inheritdoc/>
    public int[] EpochOrder(int epoch)
    {
        int[] order = Enumerable.Range(0, count).ToArray();
        if (shuffle) DeterministicRandom.For(seed, 1, (ulong)epoch).Shuffle<int>(order);
        return order;
    }
}
