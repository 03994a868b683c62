using CudaBert.Kernels.Device;

namespace CudaBert.Engine.Cuda;

/// <summary>A block handed out by the <see cref="CachingAllocator"/>: its address and the size class it came from.</summary>
public readonly record struct DeviceBlock(DevicePtr Pointer, long SizeClass);

/// <summary>
/// Device memory recycled through free lists, one per size class. A training step asks for the
/// same sizes every time, so from the second step on every request is served from a list and the
/// driver's allocate (cuMemAlloc, slow and synchronizing) is never called.
/// <para>
/// Size classes: requests are rounded up to a multiple of 512 bytes below 1 MiB, and to a quarter
/// of their power of two above (at most 25 % waste), so sizes that differ a little (a shorter
/// batch) still share blocks.
/// </para>
/// <para>
/// Reuse is stream-ordered: the backend issues every copy and launch on one stream, so a block
/// given back after the last launch that uses it was queued can be handed to the next launch at
/// once — the stream runs them in order, the second cannot start before the first ends.
/// </para>
/// <para>
/// Graph pools: a captured graph replays with the addresses it was captured with, so the blocks it
/// uses must stay its own. While a <see cref="GraphMemoryPool"/> is open (<see cref="OpenPool"/>) every
/// block rented comes from that pool (or the device), and a block of a pool, when returned, goes back
/// to its pool — whenever that happens — never to the shared lists, until the pool is closed for good
/// (<see cref="ReleasePool"/>, when its graph is destroyed).
/// </para>
/// </summary>
public sealed class CachingAllocator(ICudaDevice device)
{
    const long SmallLimit = 1 << 20;
    const long SmallGranularity = 512;

    readonly Dictionary<long, Stack<DevicePtr>> freeBlocks = [];
    readonly Dictionary<DevicePtr, GraphMemoryPool> poolOfBlock = [];   // every block that belongs to a live pool
    GraphMemoryPool? openPool;
    readonly Lock gate = new();
    long bytesInUse, bytesCached, peakBytesInUse, requests, deviceAllocations, deviceFrees;

    /// <summary>The device whose memory this allocator rents out and caches.</summary>
    public ICudaDevice Device { get; } = device;

    /// <summary>The size a request of <paramref name="bytes"/> is rounded up to.</summary>
    public static long SizeClass(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        if (bytes <= SmallLimit) return Math.Max(SmallGranularity, RoundUp(bytes, SmallGranularity));
        long power = 1L << (63 - (int)long.LeadingZeroCount(bytes - 1));   // the largest power of two below bytes
        return RoundUp(bytes, power / 4);
    }

    static long RoundUp(long value, long multiple) => (value + multiple - 1) / multiple * multiple;

    /// <summary>A block of at least <paramref name="bytes"/> bytes (a null block for 0). Contents are undefined.</summary>
    public DeviceBlock Rent(long bytes)
    {
        if (bytes == 0) return new DeviceBlock(DevicePtr.Null, 0);
        long size = SizeClass(bytes);
        lock (gate)
        {
            requests++;
            var lists = openPool?.FreeBlocks ?? freeBlocks;
            if (lists.TryGetValue(size, out var list) && list.Count > 0)
            {
                bytesCached -= size;
                return Handed(new DeviceBlock(list.Pop(), size));
            }
            var block = new DeviceBlock(AllocateOnDevice(size), size);
            if (openPool is not null) poolOfBlock[block.Pointer] = openPool;
            return Handed(block);
        }
    }

    /// <summary>Puts a block back on its free list (it stays allocated on the device).</summary>
    public void Return(DeviceBlock block)
    {
        if (block.Pointer.IsNull) return;
        lock (gate)
        {
            var lists = poolOfBlock.TryGetValue(block.Pointer, out var pool) ? pool.FreeBlocks : freeBlocks;
            if (!lists.TryGetValue(block.SizeClass, out var list))
                lists[block.SizeClass] = list = new Stack<DevicePtr>();
            list.Push(block.Pointer);
            bytesInUse -= block.SizeClass;
            bytesCached += block.SizeClass;
        }
    }

    /// <summary>
    /// From now until <see cref="ClosePool"/>, blocks are rented from <paramref name="pool"/> (and allocated on
    /// the device for it when it has none of the size). One pool at a time.
    /// </summary>
    public void OpenPool(GraphMemoryPool pool)
    {
        lock (gate)
        {
            if (openPool is not null) throw new InvalidOperationException("a graph memory pool is already open: graphs are captured one at a time");
            openPool = pool;
        }
    }

    /// <summary>Rents from the shared lists again; the blocks of the pool stay reserved for it.</summary>
    public void ClosePool()
    {
        lock (gate) openPool = null;
    }

    /// <summary>
    /// Gives the blocks of <paramref name="pool"/> to the shared lists (those still in use go there when
    /// returned): call it once the graph that used them is destroyed.
    /// </summary>
    public void ReleasePool(GraphMemoryPool pool)
    {
        lock (gate)
        {
            if (openPool == pool) openPool = null;
            foreach (var (size, list) in pool.FreeBlocks)
            {
                if (!freeBlocks.TryGetValue(size, out var shared)) freeBlocks[size] = shared = new Stack<DevicePtr>();
                foreach (var pointer in list) shared.Push(pointer);
            }
            pool.FreeBlocks.Clear();
            foreach (var pointer in poolOfBlock.Where(entry => entry.Value == pool).Select(entry => entry.Key).ToList())
                poolOfBlock.Remove(pointer);
        }
    }

    /// <summary>Frees every cached block of the shared lists on the device (blocks in use, and blocks of graph pools, are untouched).</summary>
    public void EmptyCache()
    {
        lock (gate)
        {
            Device.Synchronize();   // a cached block may still be read by queued work
            foreach (var list in freeBlocks.Values)
                while (list.Count > 0)
                {
                    Device.Free(list.Pop());
                    deviceFrees++;
                }
            freeBlocks.Clear();
            bytesCached = 0;
        }
    }

    /// <summary>Starts measuring <see cref="AllocatorStatistics.PeakBytesInUse"/> again from the bytes in use now.</summary>
    public void ResetPeak()
    {
        lock (gate) peakBytesInUse = bytesInUse;
    }

    /// <summary>A consistent snapshot of the counters (bytes in use, cached, peak; requests; driver calls).</summary>
    public AllocatorStatistics Statistics
    {
        get { lock (gate) return new(bytesInUse, bytesCached, peakBytesInUse, requests, deviceAllocations, deviceFrees); }
    }

    DeviceBlock Handed(DeviceBlock block)
    {
        bytesInUse += block.SizeClass;
        peakBytesInUse = Math.Max(peakBytesInUse, bytesInUse);
        return block;
    }

    // Out of memory with blocks cached: give the cache back and try once more, as PyTorch does.
    DevicePtr AllocateOnDevice(long size)
    {
        try
        {
            deviceAllocations++;
            return Device.Allocate(size);
        }
        catch (CudaException e) when (e.ErrorName == "CUDA_ERROR_OUT_OF_MEMORY" && bytesCached > 0)
        {
            EmptyCache();
            deviceAllocations++;
            return Device.Allocate(size);
        }
    }
}
