namespace CudaBert.Engine.Cuda;

/// <summary>
/// A snapshot of a <see cref="CachingAllocator"/>. Bytes are counted in size classes (what a
/// request was rounded up to), so <see cref="BytesInUse"/> + <see cref="BytesCached"/> is what
/// the allocator holds on the device.
/// </summary>
/// <param name="BytesInUse">Bytes handed out to live tensors and workspaces.</param>
/// <param name="BytesCached">Bytes in free lists, ready for reuse without touching the driver.</param>
/// <param name="PeakBytesInUse">Highest <see cref="BytesInUse"/> since creation or <see cref="CachingAllocator.ResetPeak"/>.</param>
/// <param name="Requests">Requests served (from the cache or the driver).</param>
/// <param name="DeviceAllocations">Calls to the device's allocate (cuMemAlloc): in steady-state training this stops growing.</param>
/// <param name="DeviceFrees">Calls to the device's free (cuMemFree), by <see cref="CachingAllocator.EmptyCache"/>.</param>
public sealed record AllocatorStatistics(
    long BytesInUse,
    long BytesCached,
    long PeakBytesInUse,
    long Requests,
    long DeviceAllocations,
    long DeviceFrees);
