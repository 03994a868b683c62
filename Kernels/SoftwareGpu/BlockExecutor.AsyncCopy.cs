namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>cp.async</c> global → shared copies with their group semantics: a copy reads its source when
/// issued, but its bytes land in shared memory only when a <c>cp.async.wait_group N</c> (or
/// <c>wait_all</c>) retires its group. A kernel that reads the destination before waiting sees the
/// old contents, as it may on hardware, so the bug shows up here too.
/// </summary>
internal sealed partial class BlockExecutor
{
    readonly record struct PendingCopy(int Group, uint SharedAddress, int Size, ulong Low, ulong High);

    /// <summary>Per thread: copies not yet landed (Group -1 = not committed yet) and the number of groups committed.</summary>
    List<PendingCopy>[]? _pendingCopies;
    int[]? _committedGroups;

    /// <summary><c>cp.async.ca/cg.shared.global [dst], [src], size{, src-size}</c>: bytes past src-size are zero-filled.</summary>
    void ExecuteCpAsync(Instruction ins)
    {
        var ops = ins.Operands;
        int size = (int)Read(ops[2]);
        if (size is not (4 or 8 or 16)) Report(SanitizerCheck.MisalignedAccess, $"cp.async size {size} must be 4, 8 or 16", fatal: true);
        int sourceSize = ops.Length > 3 ? (int)Math.Min(Read(ops[3]), (ulong)size) : size;
        ulong destination = EffectiveAddress(ops[0]);
        if (destination + (ulong)size > (ulong)_shared.Length || (destination & (ulong)(size - 1)) != 0)
            Report(SanitizerCheck.SharedOutOfBounds, $"cp.async of {size} bytes to shared address 0x{destination:x}; the block has {_shared.Length} bytes of shared memory", fatal: true);

        Span<byte> data = stackalloc byte[16];
        data.Clear();
        if (sourceSize > 0)
            Access(StateSpace.Global, EffectiveAddress(ops[1]), sourceSize, AccessKind.Read).CopyTo(data);
        _pendingCopies ??= new List<PendingCopy>[_threadCount];
        _committedGroups ??= new int[_threadCount];
        (_pendingCopies[_thread] ??= []).Add(new PendingCopy(-1, (uint)destination, size,
            BitConverter.ToUInt64(data[..8]), BitConverter.ToUInt64(data[8..])));
    }

    void ExecuteCpAsyncControl(Instruction ins)
    {
        switch (ins.Op)
        {
            case Opcode.CpAsyncCommitGroup:
                CommitCopies();
                break;
            case Opcode.CpAsyncWaitGroup:
                LandCopies(keepNewestGroups: (int)Read(ins.Operands[0]));
                break;
            case Opcode.CpAsyncWaitAll:
                CommitCopies();
                LandCopies(keepNewestGroups: 0);
                break;
        }
    }

    void CommitCopies()
    {
        if (_pendingCopies?[_thread] is not { } pending) return;
        int group = ++_committedGroups![_thread];
        for (int k = 0; k < pending.Count; k++)
            if (pending[k].Group < 0) pending[k] = pending[k] with { Group = group };
    }

    /// <summary>Writes every committed copy except those of the newest <paramref name="keepNewestGroups"/> groups.</summary>
    void LandCopies(int keepNewestGroups)
    {
        if (_pendingCopies?[_thread] is not { } pending) return;
        int lastToLand = _committedGroups![_thread] - keepNewestGroups;
        Span<byte> data = stackalloc byte[16];
        for (int k = 0; k < pending.Count; k++)
        {
            var copy = pending[k];
            if (copy.Group < 0 || copy.Group > lastToLand) continue;
            BitConverter.TryWriteBytes(data[..8], copy.Low);
            BitConverter.TryWriteBytes(data[8..], copy.High);
            data[..copy.Size].CopyTo(Access(StateSpace.Shared, copy.SharedAddress, copy.Size, AccessKind.Write));
            pending.RemoveAt(k--);
        }
    }

    /// <summary>Forgets copies a previous block left pending (a thread that exits without waiting drops them).</summary>
    void ResetAsyncCopies()
    {
        if (_pendingCopies is null) return;
        foreach (var list in _pendingCopies) list?.Clear();
        Array.Clear(_committedGroups!);
    }
}
