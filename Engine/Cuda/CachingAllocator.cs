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
/// </summary>
public sealed class CachingAllocator(ICudaDevice device)
{
    const long SmallLimit = 1 << 20;
    const long SmallGranularity = 512;

    readonly Dictionary<long, Stack<DevicePtr>> freeBlocks = [];
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
            if (freeBlocks.TryGetValue(size, out var list) && list.Count > 0)
            {
                bytesCached -= size;
                return Handed(new DeviceBlock(list.Pop(), size));
            }
            return Handed(new DeviceBlock(AllocateOnDevice(size), size));
        }
    }

    /// <summary>Puts a block back on its free list (it stays allocated on the device).</summary>
    public void Return(DeviceBlock block)
    {
        if (block.Pointer.IsNull) return;
        lock (gate)
        {
            if (!freeBlocks.TryGetValue(block.SizeClass, out var list))
                freeBlocks[block.SizeClass] = list = new Stack<DevicePtr>();
            list.Push(block.Pointer);
            bytesInUse -= block.SizeClass;
            bytesCached += block.SizeClass;
        }
    }

    /// <summary>Frees every cached block on the device (blocks in use are untouched).</summary>
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
