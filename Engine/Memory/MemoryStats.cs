namespace CudaBert.Engine.Memory;

/// <summary>
/// Process-wide counters of what is alive: tensors not yet disposed, and bytes of storage held by
/// them (pool caches not included). A training loop whose step releases everything it creates
/// keeps both flat. <see cref="PeakLiveBytes"/> is the most <see cref="LiveBytes"/> has been since
/// the last <see cref="ResetPeak"/>: where in a step memory peaks (after the forward, inside the
/// backward pass) and what a phase holds, on any device.
/// </summary>
public static class MemoryStats
{
    private static long liveTensors;
    private static long liveBytes;
    private static long peakLiveBytes;

    /// <summary>Tensors created and not yet disposed, views included, on every thread.</summary>
    public static long LiveTensors => Interlocked.Read(ref liveTensors);
    /// <summary>Bytes of storage not yet released (a storage shared by views counts once), all devices together.</summary>
    public static long LiveBytes => Interlocked.Read(ref liveBytes);
    /// <summary>The highest <see cref="LiveBytes"/> since process start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakLiveBytes => Interlocked.Read(ref peakLiveBytes);

    /// <summary>Starts measuring <see cref="PeakLiveBytes"/> again from the bytes alive now.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref peakLiveBytes, LiveBytes);

    internal static void OnTensorCreated() => Interlocked.Increment(ref liveTensors);
    internal static void OnTensorDisposed() => Interlocked.Decrement(ref liveTensors);
    internal static void OnAllocated(long bytes)
    {
        long live = Interlocked.Add(ref liveBytes, bytes);
        long peak = Interlocked.Read(ref peakLiveBytes);
        while (live > peak)
        {
            long seen = Interlocked.CompareExchange(ref peakLiveBytes, live, peak);
            if (seen == peak) break;
            peak = seen;
        }
    }
    internal static void OnFreed(long bytes) => Interlocked.Add(ref liveBytes, -bytes);
}
