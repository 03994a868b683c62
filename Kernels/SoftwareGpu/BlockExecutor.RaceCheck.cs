using System.Runtime.CompilerServices;
namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Shared-memory race detection. Each shared byte has a shadow cell recording the last writer and
/// the last reader (thread, the barrier interval "epoch" of the access, and the warp's sync count
/// at the time). Two accesses race when they come from different threads in the same epoch, at
/// least one writes, and — for two lanes of one warp — no warp-level sync (shfl, vote,
/// bar.warp.sync, mma, ldmatrix) happened between them. Epochs are unique across blocks and
/// launches, so cells never need clearing.
/// </summary>
internal sealed partial class BlockExecutor
{
    struct ShadowCell
    {
        public long WriteEpoch, ReadEpoch;
        public int Writer, WriterWarpSync, Reader, ReaderWarpSync;
        /// <summary>More than one thread read this byte in <see cref="ReadEpoch"/>.</summary>
        public bool ManyReaders;
    }

    readonly ShadowCell[] _raceShadow;
    long _raceEpoch;

    /// <summary>True when an earlier access by <paramref name="other"/> is ordered before the current thread's access by a warp sync.</summary>
    bool WarpSynced(int other, int syncCountThen) =>
        other >> 5 == _thread >> 5 && _warpSyncCount[_thread >> 5] != syncCountThen;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void CheckRace(int address, int size, bool write)
    {
        int t = _thread;
        int warpSync = _warpSyncCount[t >> 5];
        for (int k = 0; k < size; k++)
        {
            ref var cell = ref _raceShadow[address + k];
            if (cell.WriteEpoch == _raceEpoch && cell.Writer != t && !WarpSynced(cell.Writer, cell.WriterWarpSync))
            {
                ReportRace(address + k, write ? "write-after-write" : "read-after-write", cell.Writer);
                return;
            }
            if (write)
            {
                if (cell.ReadEpoch == _raceEpoch && (cell.Reader != t || cell.ManyReaders) && !WarpSynced(cell.Reader == t ? -1 : cell.Reader, cell.ReaderWarpSync))
                {
                    ReportRace(address + k, "write-after-read", cell.Reader == t ? -1 : cell.Reader);
                    return;
                }
                cell.WriteEpoch = _raceEpoch;
                cell.Writer = t;
                cell.WriterWarpSync = warpSync;
            }
            else if (cell.ReadEpoch != _raceEpoch)
            {
                cell.ReadEpoch = _raceEpoch;
                cell.Reader = t;
                cell.ReaderWarpSync = warpSync;
                cell.ManyReaders = false;
            }
            else if (cell.Reader != t) cell.ManyReaders = true;
        }
    }

    void ReportRace(int address, string hazard, int otherThread)
    {
        string other = otherThread >= 0 ? $"thread {ThreadIndex(otherThread)}" : "other threads";
        Report(SanitizerCheck.SharedRace, $"{hazard} hazard on shared address 0x{address:x} with {other}, no barrier between the accesses", fatal: false);
    }
}
