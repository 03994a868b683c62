using CudaBert.Engine;
using CudaBert.Engine.Distributed;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public class DataParallelRanksTests
{
    [Fact]
    public void SharesCoverABatchOnceInOrderAndDifferInSizeByAtMostOne()
    {
        for (int n = 0; n <= 13; n++)
        for (int size = 1; size <= 5; size++)
        {
            int[] batch = Enumerable.Range(100, n).ToArray();
            var shares = Enumerable.Range(0, size).Select(rank => DataParallelRanks.Share(batch, rank, size)).ToArray();
            Assert.Equal(batch, shares.SelectMany(s => s));
            Assert.InRange(shares.Max(s => s.Length) - shares.Min(s => s.Length), 0, 1);
        }
        // ⌊1·7/2⌋ = 3: rank 0 takes 3 of 7, rank 1 the other 4.
        Assert.Equal([13, 14, 15, 16], DataParallelRanks.Share([10, 11, 12, 13, 14, 15, 16], rank: 1, size: 2));
    }

    [Fact]
    public void AShareNeedsARankOfTheWorld()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallelRanks.Share([1, 2], rank: 2, size: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallelRanks.Share([1, 2], rank: -1, size: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallelRanks.Share([1, 2], rank: 0, size: 0));
    }

    [Fact]
    public void RanksAboveZeroDrawDropoutMasksOfTheirOwn()
    {
        using var setup = new TinyTrainingSetup(trainCount: 8, devCount: 2);
        ulong[] Seeds(int rank)
        {
            using var model = setup.NewModel();
            DataParallelRanks.SeparateDropoutStreams(model, rank);
            return Checkpoint.Dropouts(model).Select(d => d.Dropout.Seed).ToArray();
        }
        using (var model = setup.NewModel())
            Assert.Equal(Checkpoint.Dropouts(model).Select(d => d.Dropout.Seed), Seeds(0));   // rank 0 keeps the run's streams
        Assert.Equal(Seeds(1), Seeds(1));
        Assert.All(Seeds(1).Zip(Seeds(0)), pair => Assert.NotEqual(pair.First, pair.Second));
        Assert.All(Seeds(2).Zip(Seeds(1)), pair => Assert.NotEqual(pair.First, pair.Second));
    }

    [Fact]
    public void EachRankTrainsOnItsShareAndOnlyRankZeroWrites()
    {
        using var setup = new TinyTrainingSetup(trainCount: 32, devCount: 4, hidden: 16, layers: 1);
        foreach (int rank in new[] { 0, 1 })
        {
            var options = setup.Options($"rank{rank}") with { Epochs = 1, BatchSize = 16 };
            using var model = setup.NewModel();
            using var trainer = new MultiTaskTrainer(model, setup.Collator, options, setup.Train, setup.Dev, setup.Folder, communicator: new MirrorCommunicator(rank, size: 2));
            var result = trainer.Run();
            Assert.Equal([8, 8], result.History.Select(s => s.Examples));   // half of each batch of 16
            Assert.Equal(rank == 0, RunCheckpoints.Latest(options.Out!) is not null);
        }
    }

    /// <summary>Rank <paramref name="rank"/> of ranks that all hold what this one holds: a sum is size × the buffer, a mean the buffer.</summary>
    sealed class MirrorCommunicator(int rank, int size) : ICommunicator
    {
        public int Rank => rank;
        public int Size => size;
        public void AllReduceSum(Tensor buffer) => buffer.CopyFrom<float>(buffer.ToArray<float>().Select(v => v * size).ToArray());
        public void AllReduceAverage(Tensor buffer) { }
        public IPendingCollective StartAllReduceSum(Tensor buffer)
        {
            AllReduceSum(buffer);
            return CompletedCollective.Instance;
        }
        public void Broadcast(Tensor buffer, int root) { }
        public void Barrier() { }
        public void Dispose() { }
    }
}
