using System.Runtime.InteropServices;
using Perfolizer.Horology;

namespace CudaBert.Bench.Gemm;

/// <summary>
/// A BenchmarkDotNet clock that reads the CPU time of the calling thread (Linux
/// <c>CLOCK_THREAD_CPUTIME_ID</c>) instead of the wall clock. Time the thread spends descheduled
/// while other processes run does not count, so single-threaded measurements stay comparable on a
/// machine shared with other work. Meaningless for multi-threaded code (other threads' time is not counted).
/// </summary>
internal sealed partial class ThreadCpuClock : IClock
{
    private const int ClockThreadCpuTimeId = 3;

    public string Title => "Thread CPU time";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.GHz; // nanoseconds

    public long GetTimestamp()
    {
        if (clock_gettime(ClockThreadCpuTimeId, out var time) != 0)
            throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed with errno {Marshal.GetLastPInvokeError()}.");
        return time.Seconds * 1_000_000_000 + time.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
