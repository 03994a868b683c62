namespace CudaBert.Model.Training;

/// <summary>
/// Length bucketing: within windows of <c>batchSize × windowBatches</c> consecutive examples of an
/// epoch's order, sort by length and cut into batches, then shuffle the batches. Sentences of
/// similar length share a batch, so dynamic padding wastes little compute, while the order stays
/// random at the batch level.
/// </summary>
public static class LengthBucketing
{
    /// <summary>Cuts <paramref name="epochOrder"/> into length-bucketed batches of at most <paramref name="batchSize"/> example indices, in shuffled order.</summary>
    /// <param name="epochOrder">The epoch's example indices, already shuffled.</param>
    /// <param name="lengthOf">An example's length in tokens, by index.</param>
    /// <param name="batchSize">Examples per batch (the last batch of a window may be smaller).</param>
    /// <param name="windowBatches">Batches per sorting window: larger windows pad less but order the data less randomly.</param>
    /// <param name="random">Shuffles the batches.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> or <paramref name="windowBatches"/> is below 1.</exception>
    public static List<int[]> Batches(int[] epochOrder, Func<int, int> lengthOf, int batchSize, int windowBatches, DeterministicRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowBatches);
        var batches = new List<int[]>();
        int window = batchSize * windowBatches;
        for (int start = 0; start < epochOrder.Length; start += window)
        {
            var slice = epochOrder.AsSpan(start, Math.Min(window, epochOrder.Length - start)).ToArray();
            // Stable sort by length keeps equal-length examples in their random order.
            var sorted = slice.Select((index, position) => (index, position))
                .OrderBy(p => lengthOf(p.index)).ThenBy(p => p.position).Select(p => p.index).ToArray();
            for (int b = 0; b < sorted.Length; b += batchSize)
                batches.Add(sorted[b..Math.Min(b + batchSize, sorted.Length)]);
        }
        var shuffled = batches.ToArray();
        random.Shuffle<int[]>(shuffled);
        return [.. shuffled];
    }

    /// <summary>Plain consecutive batches of an epoch's order (no bucketing).</summary>
    public static List<int[]> Consecutive(int[] epochOrder, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var batches = new List<int[]>();
        for (int b = 0; b < epochOrder.Length; b += batchSize)
            batches.Add(epochOrder[b..Math.Min(b + batchSize, epochOrder.Length)]);
        return batches;
    }
}
