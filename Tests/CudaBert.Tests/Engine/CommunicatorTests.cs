using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.Distributed;

namespace CudaBert.Tests.Engine;

public class CommunicatorTests
{
    [Fact]
    public void OneProcessLeavesEveryBufferAsItIs()
    {
        var one = SingleProcessCommunicator.Instance;
        using var buffer = Tensor.FromArray([1f, -2f, 3.5f], [3]);
        one.AllReduceSum(buffer);
        one.AllReduceAverage(buffer);
        one.Broadcast(buffer, root: 0);
        one.Barrier();
        Assert.Equal([1f, -2f, 3.5f], buffer.ToArray<float>());
        Assert.Equal((0, 1), (one.Rank, one.Size));
    }

    [Fact]
    public void BuffersMustBeFloat32AndRootsRanks()
    {
        var one = SingleProcessCommunicator.Instance;
        using var ids = Tensor.FromArray([1, 2], [2]);
        Assert.Contains("Float32", Assert.Throws<ArgumentException>(() => one.AllReduceSum(ids)).Message);
        using var buffer = Tensor.Zeros([2]);
        Assert.Contains("root rank 1 is not in [0, 1)", Assert.Throws<ArgumentOutOfRangeException>(() => one.Broadcast(buffer, root: 1)).Message);
    }

    [Fact]
    public void WithoutNcclTheErrorNamesTheLibraryAndNothingIsShared()
    {
        if (NativeLibrary.TryLoad("libnccl.so.2", out _)) Assert.Skip("NCCL is installed here: its absence cannot be tested");
        bool shared = false;
        var error = Assert.Throws<DllNotFoundException>(() => NcclCommunicator.Create(0, 1, _ => shared = true));
        Assert.Contains("libnccl.so.2", error.Message);
        Assert.Contains("NCCL", error.Message);
        Assert.False(shared);
    }

    [Fact]
    public void AloneWithoutMpirunAndRefusedUnderAnotherLauncher()
    {
        if (Environment.GetEnvironmentVariable(Communicators.MpiWorldSizeVariable) is not null) Assert.Skip("these tests run under mpirun");
        string? worldSize = Environment.GetEnvironmentVariable(Communicators.TorchWorldSizeVariable);
        try
        {
            Environment.SetEnvironmentVariable(Communicators.TorchWorldSizeVariable, null);
            Assert.Same(SingleProcessCommunicator.Instance, Communicators.FromEnvironment(Device.Cpu));
            Environment.SetEnvironmentVariable(Communicators.TorchWorldSizeVariable, "4");   // as torchrun --nproc-per-node 4 would
            var error = Assert.Throws<InvalidOperationException>(() => Communicators.FromEnvironment(Device.Cpu));
            Assert.Contains("mpirun -np 4", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(Communicators.TorchWorldSizeVariable, worldSize);
        }
    }

    [Fact]
    public void AveragingGivesEachGradientTheMeanOverRanksAndZeroWhereARankHadNone()
    {
        // Rank 0 of 2: the other rank's buffers, in the order of the calls, stand in for it.
        using var both = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);        // a gradient on both ranks
        using var otherOnly = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);   // only on the other rank
        using var neither = Tensor.FromArray([0f, 0f], [2], requiresGrad: true);     // on no rank
        using (Tensor.Scope()) Ops.Sum(Ops.Mul(both, Tensor.FromArray([1f, 2f], [2]))).Backward();   // d/dboth = [1, 2]
        var peer = new PeerCommunicator(
            [1f, 1f, 0f, 1f],   // the other rank: gradients of both and otherOnly, none of neither; it ran a batch
            [3f, 4f],           // its gradient of both
            [5f, 6f]);          // its gradient of otherOnly

        bool step = DataParallel.AverageGradients(peer, [both, otherOnly, neither], contributed: true);

        Assert.True(step);
        Assert.Equal([2f, 3f], both.Grad!.ToArray<float>());
        Assert.Equal([2.5f, 3f], otherOnly.Grad!.ToArray<float>());
        Assert.Null(neither.Grad);
        Assert.Empty(peer.Left);
    }

    [Fact]
    public void NoStepWhenNoRankRanABatch()
    {
        using var parameter = Tensor.FromArray([0f], [1], requiresGrad: true);
        var peer = new PeerCommunicator([0f, 0f]);   // no gradient, no batch on the other rank either
        Assert.False(DataParallel.AverageGradients(peer, [parameter], contributed: false));
        Assert.Null(parameter.Grad);
    }

    /// <summary>Rank 0 of two, where the other rank's contribution to each successive reduction is given in advance.</summary>
    sealed class PeerCommunicator(params float[][] peerBuffers) : ICommunicator
    {
        public Queue<float[]> Left { get; } = new(peerBuffers);
        public int Rank => 0;
        public int Size => 2;

        public void AllReduceSum(Tensor buffer)
        {
            float[] own = buffer.ToArray<float>(), other = Left.Dequeue();
            Assert.Equal(own.Length, other.Length);
            buffer.CopyFrom<float>(own.Zip(other, (a, b) => a + b).ToArray());
        }

        public void AllReduceAverage(Tensor buffer)
        {
            AllReduceSum(buffer);
            buffer.CopyFrom<float>(buffer.ToArray<float>().Select(v => v / 2).ToArray());
        }

        public void Broadcast(Tensor buffer, int root) { }
        public void Barrier() { }
        public void Dispose() { }
    }
}
