using System.Runtime.CompilerServices;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Runs the threads of one block of a launch, one block at a time (the same executor is reused for
/// every block of the launch).
///
/// Scheduling: every thread owns a register file (64-bit slots) and a program counter. A thread
/// runs alone until it reaches <c>bar.sync</c>, a warp collective (<c>shfl</c>, <c>vote</c>,
/// <c>bar.warp.sync</c>, <c>mma</c>, <c>ldmatrix</c>) or its end; then the next thread runs. When
/// no thread can run, collectives whose member lanes have all arrived execute once for all of
/// them, then barriers that every thread has reached release. Divergence and reconvergence need
/// no SIMT stack: a diverged lane simply runs its own path until it meets the others at a
/// collective or a barrier. Threads run in index order, so everything is deterministic.
/// </summary>
internal sealed partial class BlockExecutor
{
    enum ThreadStatus : byte { Runnable, AtBarrier, AtCollective, Exited, AtWarpgroup, AtMbarrier }

    /// <summary>Generic addresses of shared and local memory live in these windows (global allocations start at 0x7f00_0000_0000).</summary>
    public const ulong SharedWindow = 0x0000_5000_0000_0000, LocalWindow = 0x0000_6000_0000_0000, WindowSize = 1UL << 32;
    /// <summary>... and the kernel's parameters (<c>cvta.param</c>: the address of a <c>__grid_constant__</c> parameter, e.g. a tensor map).</summary>
    public const ulong ParamWindow = 0x0000_4000_0000_0000;

    readonly LaunchContext _launch;
    readonly PtxKernel _kernel;
    readonly Instruction[] _code;
    readonly int _threadCount, _registerCount;
    readonly ulong[] _registers;
    readonly int[] _pc;
    readonly ThreadStatus[] _status;
    readonly byte[] _shared;
    readonly byte[] _local;
    readonly int[] _warpSyncCount;
    Index3 _blockIndex;

    readonly long _spinLimit;

    // The running thread.
    int _thread, _base;
    long _instructionCount;

    public BlockExecutor(LaunchContext launch)
    {
        _launch = launch;
        _kernel = launch.Kernel;
        _code = _kernel.Code;
        _threadCount = checked((int)launch.BlockDim.Count);
        _registerCount = Math.Max(1, _kernel.RegisterCount);
        _registers = new ulong[checked(_threadCount * _registerCount)];
        _pc = new int[_threadCount];
        _status = new ThreadStatus[_threadCount];
        _shared = new byte[_kernel.DynamicSharedOffset + launch.DynamicSharedBytes];
        _local = new byte[checked(_threadCount * _kernel.LocalBytes)];
        _warpSyncCount = new int[(_threadCount + 31) / 32];
        _barrierId = new int[_threadCount];
        _barrierCount = new int[_threadCount];
        _raceShadow = launch.Options.CheckRaces ? new ShadowCell[_shared.Length] : [];
        _spinLimit = launch.Options.MaxInstructionsWithoutSync;
    }

    public long InstructionCount => _instructionCount;

    /// <summary>Non-fatal findings of the last block run, once per check and PTX line.</summary>
    public List<SanitizerReport> BlockReports { get; } = [];
    readonly HashSet<(SanitizerCheck, int)> _blockReportKeys = [];

    /// <summary>Runs every thread of one block to completion.</summary>
    public void RunBlock(Index3 blockIndex)
    {
        _blockIndex = blockIndex;
        Array.Clear(_registers);
        Array.Clear(_pc);
        Array.Clear(_status);
        Array.Clear(_shared);
        Array.Clear(_local);
        ResetAsyncCopies();
        ResetHopperState();
        BlockReports.Clear();
        _blockReportKeys.Clear();
        _raceEpoch = _launch.NextRaceEpoch();
        while (true)
        {
            for (int t = 0; t < _threadCount; t++)
                if (_status[t] == ThreadStatus.Runnable) RunThread(t);
            if (ResolveCollectives()) continue;
            if (ResolveBarriers()) continue;
            if (ResolveWarpgroups()) continue;
            if (ThreadsWokenByMbarriers()) continue;
            if (LandBulkCopies()) continue;
            if (Array.TrueForAll(_status, s => s == ThreadStatus.Exited)) return;
            ReportDeadlock();
        }
    }

    /// <summary>Runs thread <paramref name="t"/> until it exits or has to wait for others.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void RunThread(int t)
    {
        _thread = t;
        _base = t * _registerCount;
        var code = _code;
        var regs = _registers;
        int pc = _pc[t];
        long count = 0;
        try
        {
            while (true)
            {
                var ins = code[pc];
                count++;
                if (ins.Guard >= 0 && ((regs[_base + ins.Guard] & 1) != 0) == ins.GuardNegated) { pc++; continue; }
                switch (ins.Op)
                {
                    case Opcode.Bra:
                        pc = (int)ins.Operands[0].Value;
                        if (count > _spinLimit) ReportSpin(pc, count);
                        continue;
                    case Opcode.Ret or Opcode.Exit:
                        _pc[t] = pc;
                        _status[t] = ThreadStatus.Exited;
                        return;
                    case Opcode.BarSync or Opcode.BarRed:
                    {
                        // bar.sync a{, b} / bar.red.op d, a{, b}, {!}c: barrier a, expecting b threads (all when absent).
                        var ops = ins.Operands;
                        int first = ins.Op == Opcode.BarRed ? 1 : 0;
                        int last = ins.Op == Opcode.BarRed ? ops.Length - 1 : ops.Length;
                        _pc[t] = pc;
                        _status[t] = ThreadStatus.AtBarrier;
                        _barrierId[t] = last > first ? (int)Read(ops[first]) : 0;
                        _barrierCount[t] = last > first + 1 ? (int)Read(ops[first + 1]) : 0;
                        return;
                    }
                    case Opcode.Shfl or Opcode.Vote or Opcode.Redux or Opcode.BarWarpSync or Opcode.Mma or Opcode.Ldmatrix or Opcode.Elect:
                        _pc[t] = pc;
                        _status[t] = ThreadStatus.AtCollective;
                        return;
                    case Opcode.WgmmaMmaAsync or Opcode.WgmmaCommitGroup or Opcode.WgmmaWaitGroup:
                        _pc[t] = pc;
                        _status[t] = ThreadStatus.AtWarpgroup;
                        return;
                    case Opcode.MbarrierWait:
                        _pc[t] = pc;
                        if (!MbarrierWaitCompletes(ins)) { _status[t] = ThreadStatus.AtMbarrier; return; }
                        pc++;
                        continue;
                    default:
                        _pc[t] = pc;
                        Execute(ins);
                        pc++;
                        continue;
                }
            }
        }
        finally
        {
            _instructionCount += count;
        }
    }

    void ReportSpin(int pc, long count)
    {
        _pc[_thread] = pc;
        Report(SanitizerCheck.Deadlock, $"the thread ran {count} instructions without reaching a barrier, a warp collective or its end; " +
            "threads run one at a time on the software GPU, so spinning on a value another thread would write never ends", fatal: true);
    }

    /// <summary>Executes one instruction that needs no other thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void Execute(Instruction ins)
    {
        switch (ins.Op)
        {
            case Opcode.Mov: ExecuteMov(ins); break;
            case Opcode.Ld: ExecuteLoad(ins); break;
            case Opcode.St: ExecuteStore(ins); break;
            case Opcode.Cvta: ExecuteCvta(ins); break;
            case Opcode.Cvt: ExecuteCvt(ins); break;
            case Opcode.Atom or Opcode.Red: ExecuteAtomic(ins); break;
            case Opcode.CpAsync: ExecuteCpAsync(ins); break;
            case Opcode.CpAsyncCommitGroup or Opcode.CpAsyncWaitGroup or Opcode.CpAsyncWaitAll: ExecuteCpAsyncControl(ins); break;
            case Opcode.Fence or Opcode.WgmmaFence: break;
            case Opcode.MbarrierInit or Opcode.MbarrierArrive or Opcode.MbarrierExpectTx or Opcode.MbarrierInval: ExecuteMbarrier(ins); break;
            case Opcode.CpAsyncBulk: ExecuteBulkCopy(ins); break;
            case Opcode.CpAsyncBulkTensor: ExecuteTensorCopy(ins); break;
            case Opcode.Activemask: Write(ins.Operands[0], ActiveMask()); break;
            case Opcode.Setp: ExecuteSetp(ins); break;
            case Opcode.Selp:
                Write(ins.Operands[0], (Read(ins.Operands[3]) & 1) != 0 ? Read(ins.Operands[1]) : Read(ins.Operands[2]));
                break;
            case Opcode.Slct: ExecuteSlct(ins); break;
            default:
                if (ins.Type.IsFloat()) ExecuteFloat(ins);
                else ExecuteInteger(ins);
                break;
        }
    }

    // ---------------------------------------------------------------- operands

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    ulong Read(in Operand o) => o.Kind switch
    {
        OperandKind.Register => _registers[_base + o.Register],
        OperandKind.Immediate => o.Value,
        OperandKind.Special => ReadSpecial(o.Special),
        _ => throw new InvalidOperationException($"operand {o.Kind} cannot be read"),
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void Write(in Operand o, ulong value)
    {
        if (o.Kind == OperandKind.Register) _registers[_base + o.Register] = value;
        else if (o.Kind != OperandKind.Sink) throw new InvalidOperationException($"operand {o.Kind} cannot be written");
    }

    float ReadF32(in Operand o, bool ftz)
    {
        float f = BitConverter.UInt32BitsToSingle((uint)Read(o));
        return ftz ? FloatRounding.FlushToZero(f) : f;
    }

    double ReadF64(in Operand o) => BitConverter.UInt64BitsToDouble(Read(o));

    void WriteF32(in Operand o, float value, bool ftz) =>
        Write(o, BitConverter.SingleToUInt32Bits(ftz ? FloatRounding.FlushToZero(value) : value));

    void WriteF64(in Operand o, double value) => Write(o, BitConverter.DoubleToUInt64Bits(value));

    Index3 ThreadIndex(int t) => Index3.FromLinear(t, _launch.BlockDim);

    ulong ReadSpecial(SpecialRegister s)
    {
        var block = _launch.BlockDim;
        var grid = _launch.GridDim;
        int lane = _thread & 31;
        return s switch
        {
            SpecialRegister.TidX => (ulong)(_thread % block.X),
            SpecialRegister.TidY => (ulong)(_thread / block.X % block.Y),
            SpecialRegister.TidZ => (ulong)(_thread / (block.X * block.Y)),
            SpecialRegister.NtidX => block.X, SpecialRegister.NtidY => block.Y, SpecialRegister.NtidZ => block.Z,
            SpecialRegister.CtaidX => _blockIndex.X, SpecialRegister.CtaidY => _blockIndex.Y, SpecialRegister.CtaidZ => _blockIndex.Z,
            SpecialRegister.NctaidX => grid.X, SpecialRegister.NctaidY => grid.Y, SpecialRegister.NctaidZ => grid.Z,
            SpecialRegister.LaneId => (ulong)lane,
            SpecialRegister.WarpId => (ulong)(_thread >> 5),
            SpecialRegister.NwarpId => (ulong)((_threadCount + 31) >> 5),
            SpecialRegister.SmId or SpecialRegister.GridId => 0,
            SpecialRegister.NsmId => 1,
            SpecialRegister.LanemaskEq => 1UL << lane,
            SpecialRegister.LanemaskLt => (1UL << lane) - 1,
            SpecialRegister.LanemaskLe => (2UL << lane) - 1,
            SpecialRegister.LanemaskGt => ~((2UL << lane) - 1) & 0xFFFF_FFFF,
            SpecialRegister.LanemaskGe => ~((1UL << lane) - 1) & 0xFFFF_FFFF,
            // Clocks count interpreted instructions: monotonic and deterministic.
            SpecialRegister.Clock or SpecialRegister.Clock64 or SpecialRegister.GlobalTimer => (ulong)_instructionCount,
            _ => 0,
        };
    }

    /// <summary>Lanes of the running thread's warp that have not exited (what <c>activemask</c> reports here).</summary>
    ulong ActiveMask()
    {
        int warpStart = _thread & ~31;
        ulong mask = 0;
        for (int lane = 0; lane < 32 && warpStart + lane < _threadCount; lane++)
            if (_status[warpStart + lane] != ThreadStatus.Exited) mask |= 1UL << lane;
        return mask;
    }

    // ---------------------------------------------------------------- reports

    /// <summary>Records a sanitizer finding at the running thread's current instruction; fatal ones stop the launch.</summary>
    void Report(SanitizerCheck check, string message, bool fatal)
    {
        if (fatal) throw Fault(check, message);
        var ins = _code[Math.Min(_pc[_thread], _code.Length - 1)];
        if (_blockReportKeys.Add((check, ins.Line))) BlockReports.Add(MakeReport(check, message));
    }

    /// <summary>The exception that stops a launch at the running thread's current instruction.</summary>
    KernelFaultException Fault(SanitizerCheck check, string message) => new(MakeReport(check, message));

    SanitizerReport MakeReport(SanitizerCheck check, string message)
    {
        var ins = _code[Math.Min(_pc[_thread], _code.Length - 1)];
        return new SanitizerReport(check, _kernel.Name, ins.Line, ins.Text, _blockIndex, ThreadIndex(_thread), message);
    }
}
