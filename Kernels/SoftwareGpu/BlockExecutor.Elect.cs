namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>elect.sync d|p, membermask</c> (PTX ISA 8.0+, sm_90): the lanes of the mask elect one leader —
/// the lowest-numbered lane of the mask, as on the hardware — and every member learns its lane id
/// in d (which may be the sink <c>_</c>) and whether it is the leader in p. Kernels use it so that
/// one thread issues what must be issued once (an mbarrier's expect_tx, a bulk copy).
/// </summary>
internal sealed partial class BlockExecutor
{
    void ExecuteElect(int warpStart, uint mask)
    {
        int leader = System.Numerics.BitOperations.TrailingZeroCount(mask);
        int lanes = Math.Min(32, _threadCount - warpStart);
        for (int lane = 0; lane < lanes; lane++)
        {
            if ((mask & (1u << lane)) == 0) continue;
            SwitchTo(warpStart + lane);
            var destinations = _code[_pc[_thread]].Operands[0];
            var (d, p) = destinations.Kind == OperandKind.Vector
                ? (destinations.Elements![0], destinations.Elements![1])
                : (destinations, new Operand(OperandKind.Sink));
            Write(d, (ulong)leader);
            Write(p, lane == leader ? 1UL : 0UL);
        }
    }
}
