using CudaBert.Model.Bert;

namespace CudaBert.Model.Training;

/// <summary>
/// What differs between the ranks of a data-parallel run (see <see cref="Engine.Distributed.DataParallel"/>):
/// each rank's share of a batch, and its dropout masks. Everything else (the epoch order, the
/// batches, the schedules) every rank computes alike from the seed.
/// </summary>
public static class DataParallelRanks
{
    /// <summary>
    /// Rank <paramref name="rank"/>'s share of a batch of the global order: the contiguous slice
    /// [⌊rank·n/size⌋, ⌊(rank+1)·n/size⌋) of its n example indices. Shares differ in size by at most one and
    /// together cover the batch once; with fewer examples than ranks some shares are empty.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is below 1, or <paramref name="rank"/> not in [0, size).</exception>
    public static int[] Share(int[] batch, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in [0, {size})");
        long n = batch.Length;
        return batch[(int)(rank * n / size)..(int)((rank + 1) * n / size)];
    }

    /// <summary>
    /// Gives each rank above 0 dropout masks of its own: every dropout layer's seed is replaced by one
    /// derived from it and the rank. Without this every rank would draw the same masks. Rank 0 keeps
    /// the layers' seeds, the ones its checkpoints save.
    /// </summary>
    public static void SeparateDropoutStreams(MultiTaskBert model, int rank)
    {
        if (rank == 0) return;
        foreach (var (_, dropout) in Checkpoint.Dropouts(model))
            dropout.Seed = DeterministicRandom.For(dropout.Seed, 4, (ulong)rank).NextUInt64();
    }
}
