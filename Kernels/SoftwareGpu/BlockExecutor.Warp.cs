using System.Numerics;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Warp collectives that exchange register values: <c>shfl.sync</c> and <c>vote.sync</c>. They run
/// once all member lanes have arrived; each lane's operands come from its own instruction.
/// </summary>
internal sealed partial class BlockExecutor
{
    readonly ulong[] _laneValues = new ulong[32];

    /// <summary>
    /// <c>shfl.sync.mode.b32 d[|p], a, b, c, membermask</c>. c packs the clamp value (bits 0-4) and
    /// the segment mask (bits 8-12) that splits the warp into sub-warps; the source lane j is
    /// computed per mode, and out-of-range lanes keep their own value with p = false.
    /// </summary>
    void ExecuteShuffle(int warpStart, uint mask)
    {
        int lanes = Math.Min(32, _threadCount - warpStart);
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            _laneValues[lane] = Read(_code[_pc[_thread]].Operands[1]);
        }
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            var ins = _code[_pc[_thread]];
            int b = (int)(Read(ins.Operands[2]) & 31);
            uint c = (uint)Read(ins.Operands[3]);
            int clamp = (int)(c & 31), segmentMask = (int)((c >> 8) & 31);
            int maxLane = (lane & segmentMask) | (clamp & ~segmentMask);
            int minLane = lane & segmentMask;
            int j;
            bool inRange;
            switch (ins.Shuffle)
            {
                case ShuffleMode.Up: j = lane - b; inRange = j >= maxLane; break;
                case ShuffleMode.Down: j = lane + b; inRange = j <= maxLane; break;
                case ShuffleMode.Bfly: j = lane ^ b; inRange = j <= maxLane; break;
                default: j = minLane | (b & ~segmentMask); inRange = j <= maxLane; break;
            }
            if (!inRange || j >= lanes || (mask & (1u << j)) == 0) j = lane;
            var dst = ins.Operands[0];
            if (dst.Kind == OperandKind.Vector)
            {
                Write(dst.Elements![0], _laneValues[j] & 0xFFFF_FFFF);
                Write(dst.Elements![1], inRange ? 1UL : 0UL);
            }
            else Write(dst, _laneValues[j] & 0xFFFF_FFFF);
        }
    }

    /// <summary><c>vote.sync.{all,any,uni}.pred d, {!}p, membermask</c> and <c>vote.sync.ballot.b32 d, {!}p, membermask</c>.</summary>
    void ExecuteVote(int warpStart, uint mask)
    {
        int lanes = Math.Min(32, _threadCount - warpStart);
        uint ballot = 0;
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            var p = _code[_pc[_thread]].Operands[1];
            bool value = (Read(p) & 1) != 0;
            if (p.Negated) value = !value;
            if (value) ballot |= 1u << lane;
        }
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            var ins = _code[_pc[_thread]];
            ulong result = ins.Vote switch
            {
                VoteMode.All => ballot == mask ? 1UL : 0UL,
                VoteMode.Any => ballot != 0 ? 1UL : 0UL,
                VoteMode.Uni => ballot == 0 || ballot == mask ? 1UL : 0UL,
                _ => ballot,
            };
            Write(ins.Operands[0], result);
        }
    }

    /// <summary><c>redux.sync.op.type d, a, membermask</c>: every member lane gets the add/min/max/and/or/xor of all members' a.</summary>
    void ExecuteRedux(int warpStart, uint mask)
    {
        int lanes = Math.Min(32, _threadCount - warpStart);
        var first = _code[_pc[warpStart + BitOperations.TrailingZeroCount(mask)]];
        bool signed = first.Type == PtxType.S32;
        long total = first.Atomic switch
        {
            AtomicOp.Min => signed ? int.MaxValue : uint.MaxValue,
            AtomicOp.Max => signed ? int.MinValue : 0,
            AtomicOp.And => uint.MaxValue,
            _ => 0,
        };
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            ulong bits = Read(_code[_pc[_thread]].Operands[1]) & 0xFFFF_FFFF;
            long v = signed ? (int)(uint)bits : (long)bits;
            total = first.Atomic switch
            {
                AtomicOp.Add => total + v,
                AtomicOp.Min => Math.Min(total, v),
                AtomicOp.Max => Math.Max(total, v),
                AtomicOp.And => total & v,
                AtomicOp.Or => total | v,
                _ => total ^ v,
            };
        }
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            Write(_code[_pc[_thread]].Operands[0], (ulong)total & 0xFFFF_FFFF);
        }
    }
}
