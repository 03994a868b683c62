namespace CudaBert.Engine.Memory;

/// <summary>
/// Process-wide counters of what is alive: tensors not yet disposed, and bytes of storage held by
/// them (pool caches not included). A training loop whose step releases everything it creates
/// keeps both flat.
/// </summary>
public static class MemoryStats
{
    private static long liveTensors;
    private static long liveBytes;

    public static long LiveTensors => Interlocked.Read(ref liveTensors);
    public static long LiveBytes => Interlocked.Read(ref liveBytes);

    internal static void OnTensorCreated() => Interlocked.Increment(ref liveTensors);
    internal static void OnTensorDisposed() => Interlocked.Decrement(ref liveTensors);
    internal static void OnAllocated(long bytes) => Interlocked.Add(ref liveBytes, bytes);
    internal static void OnFreed(long bytes) => Interlocked.Add(ref liveBytes, -bytes);
}
