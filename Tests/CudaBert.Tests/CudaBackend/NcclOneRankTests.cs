using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.Distributed;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// NCCL on the real GPU with one rank, the only layout one GPU allows: every collective of a group of
/// one leaves its buffer as it is, so this checks the bindings, the buffers' addresses and the stream,
/// not the arithmetic. Skipped on the software GPU (NCCL drives real devices) and where
/// <c>libnccl.so.2</c> cannot be loaded.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class NcclOneRankTests(CudaTestDevice device)
{
    [Fact]
    public void EveryCollectiveOfOneRankLeavesTheBufferAsItIs()
    {
        if (device.Gpu.Info.IsSoftware) Assert.Skip("NCCL needs a real GPU (CUDABERT_TEST_CUDA_DEVICE=driver on a GPU machine)");
        if (!NativeLibrary.TryLoad("libnccl.so.2", out _)) Assert.Skip("libnccl.so.2 cannot be loaded: add its folder to LD_LIBRARY_PATH");
        float[] values = [1.5f, -2f, 3.25f, 0f, 1e-3f];
        using var nccl = NcclCommunicator.Create(0, 1, id => Assert.Equal(128, id.Length));
        using var buffer = Tensor.FromArray(values, [values.Length], device: Device.Cuda);

        nccl.AllReduceSum(buffer);
        nccl.AllReduceAverage(buffer);
        nccl.StartAllReduceSum(buffer).Wait();
        nccl.Broadcast(buffer, root: 0);
        nccl.Barrier();

        Assert.Equal((0, 1), (nccl.Rank, nccl.Size));
        Assert.Equal(values, buffer.ToArray<float>());
    }
}
