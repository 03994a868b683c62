namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>mbarrier</c>: barrier objects in shared memory (PTX ISA 8.4, "Parallel Synchronization and
/// Communication Instructions: mbarrier"). An object goes through phases 0, 1, 2, ...; each phase
/// expects a number of arrivals (set by <c>mbarrier.init</c>) and completes when all of them have
/// arrived AND its transaction count — bytes announced by <c>.expect_tx</c>, which bulk asynchronous
/// copies count down as they land — is back to zero. Then the next phase starts with the full
/// arrival count again. Bulk copies (<c>cp.async.bulk</c>, BlockExecutor.BulkCopy.cs) count the
/// bytes down as they land; bytes announced that no copy delivers leave the phase open for ever,
/// which ends in a deadlock report.
///
/// Waiting: <c>test_wait</c> / <c>try_wait</c> with <c>.parity</c> asks whether the phase of the given
/// parity (0: even phases, 1: odd) has completed, i.e. whether the current phase's parity differs;
/// without <c>.parity</c> the operand is the state an earlier <c>arrive</c> returned (here: the phase
/// number it arrived in). A thread whose wait is not complete stops here (on hardware it would spin
/// in a loop around <c>try_wait</c>) and runs again when the barrier's phase completes; when no
/// thread can run any more, the launch stops with a deadlock report that names the barrier's state.
///
/// The object's state lives beside shared memory, keyed by its address; its 8 bytes in shared
/// memory are written at init, so that reading or overwriting them is still a visible access.
/// </summary>
internal sealed partial class BlockExecutor
{
    sealed class Mbarrier
    {
        public int Expected, Pending, Phase;
        public long TransactionBytes;
    }

    readonly Dictionary<ulong, Mbarrier> _mbarriers = [];
    /// <summary>Per thread: the shared address of the barrier it waits on (when <see cref="ThreadStatus.AtMbarrier"/>).</summary>
    ulong[]? _mbarrierWaitAddress;
    /// <summary>Whether a phase completion has made waiting threads runnable since the scheduler last asked.</summary>
    bool _mbarrierWoke;

    /// <summary>The largest arrival and transaction count an mbarrier holds (2²⁰ − 1).</summary>
    const int MbarrierCountLimit = (1 << 20) - 1;

    void ExecuteMbarrier(Instruction ins)
    {
        var ops = ins.Operands;
        switch (ins.Op)
        {
            case Opcode.MbarrierInit:
            {
                ulong address = BarrierAddress(ops[0]);
                long count = (long)(uint)Read(ops[1]);
                if (count is < 1 or > MbarrierCountLimit)
                    Report(SanitizerCheck.InvalidCollective, $"mbarrier.init with count {count}; it must be 1 to {MbarrierCountLimit}", fatal: true);
                Access(StateSpace.Shared, address, 8, AccessKind.Write).Clear();
                _mbarriers[address] = new Mbarrier { Expected = (int)count, Pending = (int)count };
                break;
            }
            case Opcode.MbarrierArrive:
            {
                ulong address = BarrierAddress(ops[1]);
                var barrier = Existing(address, ins);
                Write(ops[0], (ulong)barrier.Phase);   // the state: which phase this arrival belongs to
                int count = 1;
                if (ins.ExpectTx) AddTransactionBytes(barrier, (long)(uint)Read(ops[2]));
                else if (ops.Length == 3) count = (int)(uint)Read(ops[2]);
                if (count < 1 || count > barrier.Pending)
                    Report(SanitizerCheck.InvalidCollective, $"mbarrier.arrive of {count} on the barrier at shared 0x{address:x}, which has {barrier.Pending} arrival(s) pending in phase {barrier.Phase}", fatal: true);
                barrier.Pending -= count;
                CompletePhaseIfDone(address, barrier);
                break;
            }
            case Opcode.MbarrierExpectTx:
            {
                ulong address = BarrierAddress(ops[0]);
                AddTransactionBytes(Existing(address, ins), (long)(uint)Read(ops[1]));
                break;
            }
            case Opcode.MbarrierInval:
                _mbarriers.Remove(BarrierAddress(ops[0]));
                break;
        }
    }

    /// <summary>Whether the wait of <paramref name="ins"/> (test_wait / try_wait) is complete; writes its predicate.</summary>
    bool MbarrierWaitCompletes(Instruction ins)
    {
        var ops = ins.Operands;
        ulong address = BarrierAddress(ops[1]);
        var barrier = Existing(address, ins);
        ulong operand = Read(ops[2]);
        bool complete = ins.Parity ? (ulong)(barrier.Phase & 1) != (operand & 1) : (ulong)barrier.Phase != operand;
        Write(ops[0], complete ? 1UL : 0UL);
        if (!complete) (_mbarrierWaitAddress ??= new ulong[_threadCount])[_thread] = address;
        return complete;
    }

    /// <summary>Counts down transaction bytes as a bulk copy lands (its <c>complete_tx</c>).</summary>
    void CompleteTransaction(ulong address, long bytes, Instruction copy)
    {
        var barrier = Existing(address, copy);
        barrier.TransactionBytes -= bytes;
        // Copies land here only once no thread can run, after every expect_tx issued before them: bytes that
        // no expect_tx announced mean the phase they belonged to completed without them (its waiters read
        // the buffer too early), and the next phase can never complete.
        if (barrier.TransactionBytes < 0)
            Report(SanitizerCheck.InvalidCollective, $"a bulk copy's complete_tx of {bytes} bytes takes the mbarrier at shared 0x{address:x} to {barrier.TransactionBytes} " +
                $"transaction bytes in phase {barrier.Phase}: no expect_tx announced them, so the phase they were meant for completed before they landed", fatal: true);
        CompletePhaseIfDone(address, barrier);
    }

    void AddTransactionBytes(Mbarrier barrier, long bytes)
    {
        barrier.TransactionBytes += bytes;
        if (barrier.TransactionBytes > MbarrierCountLimit)
            Report(SanitizerCheck.InvalidCollective, $"the mbarrier's transaction count {barrier.TransactionBytes} exceeds {MbarrierCountLimit} bytes", fatal: true);
    }

    /// <summary>Starts the next phase when every arrival and every transaction byte is in, and wakes the threads waiting on the barrier.</summary>
    void CompletePhaseIfDone(ulong address, Mbarrier barrier)
    {
        if (barrier.Pending != 0 || barrier.TransactionBytes != 0) return;
        barrier.Phase++;
        barrier.Pending = barrier.Expected;
        // A completed phase orders what happened before it (the copies that landed, the arrivers'
        // writes) before what its waiters do next: for the race check, a new epoch as at bar.sync.
        _raceEpoch = _launch.NextRaceEpoch();
        for (int t = 0; t < _threadCount; t++)
        {
            if (_status[t] != ThreadStatus.AtMbarrier || _mbarrierWaitAddress![t] != address) continue;
            _status[t] = ThreadStatus.Runnable;   // it runs its wait again, which now completes
            _mbarrierWoke = true;
        }
    }

    /// <summary>
    /// True when a phase completed since the last call and woke threads that the scheduler's sweep had
    /// already passed: they run in the next sweep.
    /// </summary>
    bool ThreadsWokenByMbarriers()
    {
        bool woke = _mbarrierWoke;
        _mbarrierWoke = false;
        return woke;
    }

    ulong BarrierAddress(in Operand o)
    {
        ulong address = EffectiveAddress(o);
        if ((address & 7) != 0)
            Report(SanitizerCheck.MisalignedAccess, $"mbarrier object at shared address 0x{address:x} is not 8-byte aligned", fatal: true);
        return address;
    }

    Mbarrier Existing(ulong address, Instruction ins) =>
        _mbarriers.GetValueOrDefault(address)
        ?? throw Fault(SanitizerCheck.InvalidCollective, $"'{ins.Text}' uses the mbarrier at shared 0x{address:x}, which no mbarrier.init set up (or mbarrier.inval ended)");

    void ResetMbarriers()
    {
        _mbarriers.Clear();
        _mbarrierWoke = false;
        _bulkCopies.Clear();
    }

    /// <summary>For a deadlock report: what the barrier that thread <paramref name="t"/> waits on is missing.</summary>
    string MbarrierWaitDetail(int t)
    {
        if (t < 0 || _status[t] != ThreadStatus.AtMbarrier) return "";
        ulong address = _mbarrierWaitAddress![t];
        if (_mbarriers.GetValueOrDefault(address) is not { } barrier) return $"; thread {ThreadIndex(t)} waits on shared 0x{address:x}, whose mbarrier was invalidated";
        return $"; thread {ThreadIndex(t)} waits on the mbarrier at shared 0x{address:x}, in phase {barrier.Phase} with " +
               $"{barrier.Pending} of {barrier.Expected} arrival(s) and {barrier.TransactionBytes} transaction byte(s) still missing";
    }
}
