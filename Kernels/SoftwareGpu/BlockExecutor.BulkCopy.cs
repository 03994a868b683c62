namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [dst], [src], size, [mbar]</c>
/// (PTX ISA 8.0+, sm_90, "Data Movement and Conversion Instructions: cp.async.bulk"): a copy of
/// <c>size</c> bytes (a multiple of 16, both addresses 16-byte aligned) from global to shared memory
/// done by the copy engine, not by threads. When its bytes have landed it performs complete_tx on the
/// mbarrier: the barrier's transaction count drops by <c>size</c>, which (with the arrivals) completes
/// the phase that a consumer waits on.
///
/// Here the source is read when the copy is issued, and the bytes land when no thread can run any
/// more (every thread waits somewhere): a kernel that reads the destination without waiting on the
/// mbarrier sees the old contents, as it may on hardware.
/// </summary>
internal sealed partial class BlockExecutor
{
    /// <summary>A copy in flight: its bytes in the order they land, 16 at a time, each piece at its address after the W-byte swizzle (0: none).</summary>
    readonly record struct PendingBulkCopy(int Thread, int Pc, ulong Destination, byte[] Bytes, ulong Barrier, int SwizzleBytes = 0);

    readonly List<PendingBulkCopy> _bulkCopies = [];

    void ExecuteBulkCopy(Instruction ins)
    {
        var ops = ins.Operands;
        ulong destination = EffectiveAddress(ops[0]), source = EffectiveAddress(ops[1]), barrier = BarrierAddress(ops[3]);
        long size = (long)(uint)Read(ops[2]);
        if (size <= 0 || size % 16 != 0 || destination % 16 != 0 || source % 16 != 0)
            Report(SanitizerCheck.MisalignedAccess, $"cp.async.bulk of {size} bytes from 0x{source:x} to shared 0x{destination:x}: the size must be a positive multiple of 16 and both addresses 16-byte aligned", fatal: true);
        if (destination + (ulong)size > (ulong)_shared.Length)
            Report(SanitizerCheck.SharedOutOfBounds, $"cp.async.bulk of {size} bytes to shared address 0x{destination:x}; the block has {_shared.Length} bytes of shared memory", fatal: true);
        Existing(barrier, ins);
        var bytes = new byte[size];
        for (int offset = 0; offset < size; offset += 16)   // in 16-byte pieces: Access checks alignment to the access size
            Access(StateSpace.Global, source + (ulong)offset, 16, AccessKind.Read).CopyTo(bytes.AsSpan(offset, 16));
        _bulkCopies.Add(new PendingBulkCopy(_thread, _pc[_thread], destination, bytes, barrier));
    }

    /// <summary>Lands every pending bulk copy and signals its mbarrier. True when there were any.</summary>
    bool LandBulkCopies()
    {
        if (_bulkCopies.Count == 0) return false;
        var copies = _bulkCopies.ToArray();
        _bulkCopies.Clear();
        foreach (var copy in copies)
        {
            SwitchTo(copy.Thread);   // writes and reports count as the issuing thread's
            int pc = _pc[copy.Thread];
            _pc[copy.Thread] = copy.Pc;
            for (int offset = 0; offset < copy.Bytes.Length; offset += 16)
                copy.Bytes.AsSpan(offset, 16).CopyTo(Access(StateSpace.Shared, SharedMemorySwizzle.Apply(copy.Destination + (ulong)offset, copy.SwizzleBytes), 16, AccessKind.Write));
            CompleteTransaction(copy.Barrier, copy.Bytes.Length, _code[copy.Pc]);
            _pc[copy.Thread] = pc;
        }
        return true;
    }
}
