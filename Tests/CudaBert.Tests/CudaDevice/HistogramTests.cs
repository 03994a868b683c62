using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/histogram.cu: atomicAdd on shared memory, then on global memory.</summary>
public class HistogramTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void CountsEveryValueOnce(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/histogram"), "histogram");
        const int n = 10_000, bins = 37, grid = 4, block = 128;   // 37 bins: not a power of two, fewer than threads
        var random = new Random(7);
        uint[] data = Enumerable.Range(0, n).Select(_ => (uint)random.Next(1, 1_000_000)).ToArray();
        using DeviceArray<uint> ddata = new(gpu, data), dbins = new(gpu, bins, fill: 0);   // the kernel adds to bins

        gpu.Launch(kernel, grid, block, bins * sizeof(uint), null, new KernelArgs().Ptr(ddata.Ptr).I64(n).Ptr(dbins.Ptr).U32(bins));
        gpu.Synchronize();

        var expected = new uint[bins];
        foreach (uint v in data)
            expected[v % bins]++;
        Assert.Equal(expected, dbins.Read());
    }
}
