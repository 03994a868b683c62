using CudaBert.Kernels.Device;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// Times GPU work with CUDA events on the default stream: warm-up runs first, then each timed run
/// is preceded by a memset of a buffer larger than any GPU's L2 cache (so no run finds the
/// previous one's data in L2), and the median of the runs is reported (robust to the odd slow one).
/// </summary>
sealed class EventTimer : IDisposable
{
    /// <summary>256 MiB: several times the largest L2 so far (H100/H200: 50 MiB).</summary>
    const long FlushBytes = 256L << 20;

    readonly ICudaDevice gpu;
    readonly DevicePtr flush;
    readonly CudaEvent start, end;

    public EventTimer(ICudaDevice gpu, int warmup, int repeats)
    {
        this.gpu = gpu;
        Warmup = warmup;
        Repeats = repeats;
        flush = gpu.Allocate(FlushBytes);
        start = gpu.CreateEvent();
        end = gpu.CreateEvent();
    }

    public int Warmup { get; }
    public int Repeats { get; }

    /// <summary>Median milliseconds of <paramref name="work"/> (which only queues GPU work).</summary>
    public double MedianMilliseconds(Action work)
    {
        for (int i = 0; i < Warmup; i++) work();
        var times = new double[Repeats];
        for (int r = 0; r < Repeats; r++)
        {
            gpu.Memset(flush, (byte)r, FlushBytes);
            gpu.Record(start);
            work();
            gpu.Record(end);
            times[r] = gpu.ElapsedMilliseconds(start, end);
        }
        return Median(times);
    }

    /// <summary>The median of <paramref name="times"/> (sorted in place): the middle one, or the mean of the middle two.</summary>
    public static double Median(double[] times)
    {
        Array.Sort(times);
        int half = times.Length / 2;
        return times.Length % 2 == 1 ? times[half] : (times[half - 1] + times[half]) / 2;
    }

    public void Dispose()
    {
        gpu.DestroyEvent(start);
        gpu.DestroyEvent(end);
        gpu.Free(flush);
    }
}
