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
    public void AloneWithoutALauncherAndRefusedWithoutAWayToMeet()
    {
        var alone = new Dictionary<string, string?>();
        Assert.Same(SingleProcessCommunicator.Instance, Communicators.FromEnvironment(Device.Cpu, alone.GetValueOrDefault));
        var torchrunWithoutMaster = new Dictionary<string, string?> { ["WORLD_SIZE"] = "4", ["RANK"] = "1" };
        var error = Assert.Throws<DataParallelLaunchException>(() => Communicators.FromEnvironment(Device.Cpu, torchrunWithoutMaster.GetValueOrDefault));
        Assert.Contains("mpirun -np 4", error.Message);
        Assert.Contains("MASTER_ADDR", error.Message);
    }

    [Fact]
    public void TorchrunVariablesStartGpuRanksOnly()
    {
        var torchrun = new Dictionary<string, string?> { ["WORLD_SIZE"] = "2", ["RANK"] = "1", ["LOCAL_RANK"] = "1", ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = "29500" };
        Assert.Equal(2, Communicators.LaunchedWorldSize(torchrun.GetValueOrDefault));
        var cpu = Assert.Throws<DataParallelLaunchException>(() => Communicators.FromEnvironment(Device.Cpu, torchrun.GetValueOrDefault));
        Assert.Contains("CPU ranks meet through MPI", cpu.Message);
        // Local rank 1 with every GPU visible would drive GPU 0, as local rank 0 does.
        var shared = Assert.Throws<DataParallelLaunchException>(() => Communicators.FromEnvironment(Device.Cuda, torchrun.GetValueOrDefault));
        Assert.Contains("CUDA_VISIBLE_DEVICES", shared.Message);
    }
}
