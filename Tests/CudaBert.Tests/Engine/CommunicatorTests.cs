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
        Assert.True(one.StartAllReduceSum(buffer).IsComplete());
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
}
