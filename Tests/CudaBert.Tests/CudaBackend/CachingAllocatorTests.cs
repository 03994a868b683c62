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
    public void AGraphPoolsBlocksServeOnlyItsOwnRequestsUntilItIsReleased()
    {
        var allocator = new CachingAllocator(device.Gpu);
        var shared = allocator.Rent(1000);
        allocator.Return(shared);                      // cached in the shared lists
        var pool = new GraphMemoryPool();

        allocator.OpenPool(pool);
        var captured = allocator.Rent(1000);           // a pool rents from itself or the device, never from the shared lists
        Assert.NotEqual(shared.Pointer, captured.Pointer);
        allocator.Return(captured);
        Assert.Equal(captured.Pointer, allocator.Rent(1000).Pointer);   // returned during the capture: the pool's again
        allocator.ClosePool();
        allocator.Return(captured);                    // returned after the capture: still the pool's

        var outside = allocator.Rent(1000);
        Assert.Equal(shared.Pointer, outside.Pointer);
        var another = allocator.Rent(1000);            // the pool's block is not handed out: a new one comes from the device
        Assert.NotEqual(captured.Pointer, another.Pointer);
        Assert.Equal(3L, allocator.Statistics.DeviceAllocations);

        allocator.ReleasePool(pool);                   // its graph is gone: the block joins the shared lists
        var released = allocator.Rent(1000);
        Assert.Equal(captured.Pointer, released.Pointer);
        foreach (var block in new[] { outside, another, released }) allocator.Return(block);
        allocator.EmptyCache();
        Assert.Equal(3L, allocator.Statistics.DeviceFrees);
    }

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
