namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// The rendezvous points of the scheduler: warp collectives and block barriers. Called only when
/// no thread can run, so every thread is exited or waiting at one of them.
/// </summary>
internal sealed partial class BlockExecutor
{
    readonly int[] _barrierId, _barrierCount;

    /// <summary>Makes <paramref name="t"/> the running thread, so operand reads and reports refer to it.</summary>
    void SwitchTo(int t)
    {
        _thread = t;
        _base = t * _registerCount;
    }

    /// <summary>Executes every warp collective whose member lanes have all arrived. True when any did.</summary>
    bool ResolveCollectives()
    {
        bool progressed = false;
        for (int warpStart = 0; warpStart < _threadCount; warpStart += 32)
        {
            int lanes = Math.Min(32, _threadCount - warpStart);
            for (int lane = 0; lane < lanes; lane++)
            {
                int t = warpStart + lane;
                if (_status[t] != ThreadStatus.AtCollective) continue;
                var ins = _code[_pc[t]];
                SwitchTo(t);
                uint mask = MemberMask(ins, lanes);
                if ((mask & (1u << lane)) == 0)
                    Report(SanitizerCheck.InvalidCollective, $"lane {lane} executes a collective whose member mask 0x{mask:x8} does not include it", fatal: true);
                if (!MembersArrived(ins, warpStart, lanes, mask)) continue;

                ExecuteCollective(ins.Op, warpStart, mask);
                _warpSyncCount[warpStart >> 5]++;
                for (int m = 0; m < lanes; m++)
                {
                    if ((mask & (1u << m)) == 0) continue;
                    _pc[warpStart + m]++;
                    _status[warpStart + m] = ThreadStatus.Runnable;
                }
                progressed = true;
            }
        }
        return progressed;
    }

    /// <summary>The lanes a collective involves: its membermask operand, or the whole warp for <c>.aligned</c> mma/ldmatrix.</summary>
    uint MemberMask(Instruction ins, int lanes)
    {
        uint warp = lanes == 32 ? uint.MaxValue : (1u << lanes) - 1;
        return ins.Op switch
        {
            Opcode.Mma or Opcode.Ldmatrix when lanes < 32 => throw Fault(SanitizerCheck.InvalidCollective, $"{ins.Op} needs a full warp of 32 threads, this warp has {lanes}"),
            Opcode.Mma or Opcode.Ldmatrix => warp,
            Opcode.BarWarpSync => (uint)Read(ins.Operands[0]),
            _ => (uint)Read(ins.Operands[^1]),
        };
    }

    /// <summary>True when every lane of <paramref name="mask"/> waits at a collective of the same kind; fatal when one has exited.</summary>
    bool MembersArrived(Instruction ins, int warpStart, int lanes, uint mask)
    {
        for (int m = 0; m < 32; m++)
        {
            if ((mask & (1u << m)) == 0) continue;
            if (m >= lanes)
                Report(SanitizerCheck.InvalidCollective, $"member mask 0x{mask:x8} names lane {m}, but this warp has only {lanes} threads", fatal: true);
            int u = warpStart + m;
            if (_status[u] == ThreadStatus.Exited)
                Report(SanitizerCheck.InvalidCollective, $"member mask 0x{mask:x8} names lane {m}, which has exited", fatal: true);
            if (_status[u] != ThreadStatus.AtCollective || _code[_pc[u]].Op != ins.Op) return false;
        }
        return true;
    }

    void ExecuteCollective(Opcode op, int warpStart, uint mask)
    {
        switch (op)
        {
            case Opcode.Shfl: ExecuteShuffle(warpStart, mask); break;
            case Opcode.Vote: ExecuteVote(warpStart, mask); break;
            case Opcode.Redux: ExecuteRedux(warpStart, mask); break;
            case Opcode.Mma: ExecuteMma(warpStart); break;
            case Opcode.Ldmatrix: ExecuteLdmatrix(warpStart); break;
            case Opcode.BarWarpSync: break; // the rendezvous itself is the whole effect
            case Opcode.Elect: ExecuteElect(warpStart, mask); break;
        }
    }

    /// <summary>
    /// Releases every barrier all its threads have reached. A block-wide barrier (no thread count)
    /// also releases when the missing threads have exited, which the sanitizer reports, as it
    /// reports threads waiting at different <c>bar.sync</c> instructions.
    /// </summary>
    bool ResolveBarriers()
    {
        bool progressed = false;
        int exited = 0;
        for (int t = 0; t < _threadCount; t++) if (_status[t] == ThreadStatus.Exited) exited++;
        for (int t = 0; t < _threadCount; t++)
        {
            if (_status[t] != ThreadStatus.AtBarrier) continue;
            int id = _barrierId[t];
            int expected = _barrierCount[t];
            int waiting = 0;
            bool sameInstruction = true;
            for (int u = t; u < _threadCount; u++)
            {
                if (_status[u] != ThreadStatus.AtBarrier || _barrierId[u] != id) continue;
                waiting++;
                sameInstruction &= _pc[u] == _pc[t];
            }
            bool release = expected > 0 ? waiting >= expected : waiting + exited == _threadCount;
            if (!release) continue;

            if (_launch.Options.CheckBarriers)
            {
                SwitchTo(t);
                if (expected == 0 && exited > 0)
                    Report(SanitizerCheck.DivergentBarrier, $"barrier {id} not reached by all threads: {exited} thread(s) exited while {waiting} waited; exited: {ExitedThreads()}", fatal: false);
                if (!sameInstruction)
                    Report(SanitizerCheck.DivergentBarrier, $"threads of the block wait for barrier {id} at different bar.sync instructions (divergent barrier)", fatal: false);
            }
            ulong reduction = BarrierReduction(t, id, expected);
            int released = 0;
            for (int u = t; u < _threadCount && (expected == 0 || released < expected); u++)
            {
                if (_status[u] != ThreadStatus.AtBarrier || _barrierId[u] != id) continue;
                var ins = _code[_pc[u]];
                if (ins.Op == Opcode.BarRed)
                {
                    SwitchTo(u);
                    Write(ins.Operands[0], reduction);
                }
                _pc[u]++;
                _status[u] = ThreadStatus.Runnable;
                released++;
            }
            _raceEpoch = _launch.NextRaceEpoch();
            progressed = true;
        }
        return progressed;
    }

    /// <summary>The exited threads of the block as runs of consecutive indices: "(32,0,0)-(63,0,0)".</summary>
    string ExitedThreads()
    {
        var runs = new List<string>();
        for (int t = 0; t < _threadCount; t++)
        {
            if (_status[t] != ThreadStatus.Exited) continue;
            int end = t;
            while (end + 1 < _threadCount && _status[end + 1] == ThreadStatus.Exited) end++;
            runs.Add(end == t ? $"{ThreadIndex(t)}" : $"{ThreadIndex(t)}-{ThreadIndex(end)}");
            t = end;
        }
        return runs.Count <= 8 ? string.Join(", ", runs) : string.Join(", ", runs.Take(8)) + $" and {runs.Count - 8} more runs";
    }

    /// <summary>
    /// <c>bar.red.popc.u32</c> (how many released threads have a true predicate), <c>.and.pred</c> or
    /// <c>.or.pred</c> over the threads <see cref="ResolveBarriers"/> is about to release.
    /// </summary>
    ulong BarrierReduction(int firstThread, int id, int expected)
    {
        ulong count = 0;
        bool all = true, any = false;
        int seen = 0;
        for (int u = firstThread; u < _threadCount && (expected == 0 || seen < expected); u++)
        {
            if (_status[u] != ThreadStatus.AtBarrier || _barrierId[u] != id) continue;
            seen++;
            var ins = _code[_pc[u]];
            if (ins.Op != Opcode.BarRed) continue;
            SwitchTo(u);
            var p = ins.Operands[^1];
            bool value = (Read(p) & 1) != 0;
            if (p.Negated) value = !value;
            count += value ? 1UL : 0UL;
            all &= value;
            any |= value;
        }
        return _code[_pc[firstThread]].Atomic switch
        {
            AtomicOp.Add => count,
            AtomicOp.And => all ? 1UL : 0UL,
            _ => any ? 1UL : 0UL,
        };
    }

    /// <summary>No thread can run and nothing can be released: report where the first stuck thread waits.</summary>
    void ReportDeadlock()
    {
        int atBarrier = 0, atCollective = 0, atWarpgroup = 0, atMbarrier = 0, exited = 0, first = -1;
        for (int t = 0; t < _threadCount; t++)
        {
            switch (_status[t])
            {
                case ThreadStatus.AtBarrier: atBarrier++; break;
                case ThreadStatus.AtCollective: atCollective++; break;
                case ThreadStatus.AtWarpgroup: atWarpgroup++; break;
                case ThreadStatus.AtMbarrier: atMbarrier++; break;
                case ThreadStatus.Exited: exited++; continue;
            }
            if (first < 0) first = t;
        }
        SwitchTo(first);
        Report(SanitizerCheck.Deadlock,
            $"the block cannot make progress: {atBarrier} thread(s) wait at a barrier, {atCollective} at a warp collective, " +
            $"{atWarpgroup} at a warpgroup instruction, {atMbarrier} at an mbarrier wait, {exited} exited{MbarrierWaitDetail(first)}", fatal: true);
    }
}
