using CudaBert.Engine;
using CudaBert.Engine.Cuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>Size classes, reuse, statistics and <see cref="CachingAllocator.EmptyCache"/>.</summary>
[Collection(CudaBackendCollection.Name)]
public class CachingAllocatorTests(CudaTestDevice device)
{
    [Theory]
    [InlineData(1, 512)]
    [InlineData(512, 512)]
    [InlineData(513, 1024)]
    [InlineData(1 << 20, 1 << 20)]
    [InlineData((1 << 20) + 1, 5 << 18)]          // just above 1 MiB: quarters of 1 MiB
    [InlineData(3_000_000, 3_145_728)]            // 2 MiB < n ≤ 4 MiB: multiples of 512 KiB
    [InlineData(94_371_840, 100_663_296)]         // BERT-base's 30522×768 embedding gradient (≈ 90 MiB) → 96 MiB
    public void RequestsRoundUpToTheirSizeClass(long bytes, long sizeClass) =>
        Assert.Equal(sizeClass, CachingAllocator.SizeClass(bytes));

    [Fact]
    public void ReleasedBlocksAreReusedWithoutTheDriver()
    {
        var allocator = new CachingAllocator(device.Gpu);
        var first = allocator.Rent(1000);
        var stats = allocator.Statistics;
        Assert.Equal((1024L, 0L, 1024L, 1L, 1L), (stats.BytesInUse, stats.BytesCached, stats.PeakBytesInUse, stats.Requests, stats.DeviceAllocations));

        allocator.Return(first);
        var again = allocator.Rent(900);   // same size class
        Assert.Equal(first.Pointer, again.Pointer);
        Assert.Equal(1L, allocator.Statistics.DeviceAllocations);

        var other = allocator.Rent(5000);
        Assert.Equal(2L, allocator.Statistics.DeviceAllocations);
        Assert.Equal(1024L + 5120, allocator.Statistics.PeakBytesInUse);
        allocator.Return(again);
        allocator.Return(other);
        stats = allocator.Statistics;
        Assert.Equal((0L, 6144L), (stats.BytesInUse, stats.BytesCached));

        allocator.EmptyCache();
        stats = allocator.Statistics;
        Assert.Equal((0L, 0L, 2L), (stats.BytesInUse, stats.BytesCached, stats.DeviceFrees));
        allocator.ResetPeak();
        Assert.Equal(0L, allocator.Statistics.PeakBytesInUse);
    }

    [Fact]
    public void TensorsGiveTheirMemoryBackWhenDisposed()
    {
        var allocator = device.Backend.Allocator;
        long inUse = allocator.Statistics.BytesInUse;
        using (var scope = Tensor.Scope())
        {
            _ = Tensor.Zeros([300], device: Device.Cuda);
            Assert.Equal(inUse + 1536, allocator.Statistics.BytesInUse);
        }
        Assert.Equal(inUse, allocator.Statistics.BytesInUse);
        long allocations = allocator.Statistics.DeviceAllocations;
        using (var scope = Tensor.Scope()) _ = Tensor.Zeros([300], device: Device.Cuda);
        Assert.Equal(allocations, allocator.Statistics.DeviceAllocations);
    }
}
