namespace CudaBert.Engine.Cuda;

/// <summary>
/// A snapshot of a <see cref="CachingAllocator"/>. Bytes are counted in size classes (what a
/// request was rounded up to), so <see cref="BytesInUse"/> + <see cref="BytesCached"/> is what
/// the allocator holds on the device.
/// </summary>
public sealed record AllocatorStatistics(
    /// <summary>Bytes handed out to live tensors and workspaces.</summary>
    long BytesInUse,
    /// <summary>Bytes in free lists, ready for reuse without touching the driver.</summary>
    long BytesCached,
    /// <summary>Highest <see cref="BytesInUse"/> since creation or <see cref="CachingAllocator.ResetPeak"/>.</summary>
    long PeakBytesInUse,
    /// <summary>Requests served (from the cache or the driver).</summary>
    long Requests,
    /// <summary>Calls to the device's allocate (cuMemAlloc): in steady-state training this stops growing.</summary>
    long DeviceAllocations,
    /// <summary>Calls to the device's free (cuMemFree), by <see cref="CachingAllocator.EmptyCache"/>.</summary>
    long DeviceFrees);
