using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>cp.async.bulk.tensor.Nd.shared::cluster.global.tile.mbarrier::complete_tx::bytes [dst], [map, {c0, .., cN-1}], [mbar]</c>
/// (PTX ISA 8.4, "Data Movement and Conversion Instructions: cp.async.bulk.tensor"), the Tensor Memory
/// Accelerator's load: the copy engine reads the box of a tensor map (SoftwareTensorMap.cs) whose first
/// element sits at coordinates (c0, c1, ...) — innermost first, signed, so a box may start before the
/// tensor — and writes it into shared memory at <c>dst</c> (128-byte aligned): the box's rows (its innermost
/// dimension) one after another, each 16-byte piece moved by the map's swizzle (SharedMemorySwizzle.cs).
/// Elements outside the tensor are written as zeros, and the mbarrier's transaction count drops by the whole
/// box's bytes, zeros included. The map is read through a generic address: a <c>__grid_constant__</c>
/// parameter's (<c>cvta.param</c>) or global memory's.
///
/// As for <c>cp.async.bulk</c> (BlockExecutor.BulkCopy.cs) the tensor is read when the copy is issued and
/// the box lands when no thread can run any more. Element strides other than 1 are not supported.
/// </summary>
internal sealed partial class BlockExecutor
{
    void ExecuteTensorCopy(Instruction ins)
    {
        var ops = ins.Operands;
        ulong destination = EffectiveAddress(ops[0]), barrier = BarrierAddress(ops[2]);
        var map = ReadTensorMap(EffectiveAddress(ops[1]), ins);
        Existing(barrier, ins);
        var coordinates = new long[map.Rank];
        for (int d = 0; d < map.Rank; d++) coordinates[d] = (int)(uint)Read(ops[1].Elements![d]);
        if (ins.TensorRank != map.Rank)
            throw Fault(SanitizerCheck.InvalidCollective, $"'{ins.Text}' gives {ins.TensorRank} coordinates to a tensor map of rank {map.Rank}");
        for (int d = 0; d < map.Rank; d++)
            if (map.ElementStrides[d] != 1)
                throw Fault(SanitizerCheck.InvalidCollective, $"'{ins.Text}': the tensor map's element stride {d} is {map.ElementStrides[d]}; the software GPU copies element strides of 1 only");
        if (destination % 128 != 0)
            Report(SanitizerCheck.MisalignedAccess, $"cp.async.bulk.tensor to shared address 0x{destination:x}: the destination must be 128-byte aligned", fatal: true);
        long boxBytes = map.BoxBytes;
        if (destination + (ulong)boxBytes > (ulong)_shared.Length)
            Report(SanitizerCheck.SharedOutOfBounds, $"cp.async.bulk.tensor of a {boxBytes}-byte box to shared address 0x{destination:x}; the block has {_shared.Length} bytes of shared memory", fatal: true);

        // Walk the box in its shared-memory order (dimension 0 fastest), reading the elements inside the tensor.
        var bytes = new byte[boxBytes];
        int size = map.ElementBytes;
        var inBox = new long[map.Rank];
        for (long offset = 0; offset < boxBytes; offset += size)
        {
            bool inside = true;
            ulong address = map.Address;
            for (int d = 0; d < map.Rank && inside; d++)
            {
                long c = coordinates[d] + inBox[d];
                inside = c >= 0 && (ulong)c < map.GlobalDims[d];
                address += (ulong)c * map.GlobalStrides[d];
            }
            if (inside) Access(StateSpace.Global, address, size, AccessKind.Read).CopyTo(bytes.AsSpan((int)offset, size));
            for (int d = 0; d < map.Rank && ++inBox[d] == map.BoxDims[d]; d++) inBox[d] = 0;
        }
        _bulkCopies.Add(new PendingBulkCopy(_thread, _pc[_thread], destination, bytes, barrier, map.SwizzleBytes));
    }

    /// <summary>The tensor map at generic address <paramref name="address"/>: 64-byte aligned, 128 bytes the software GPU encoded.</summary>
    SoftwareTensorMap ReadTensorMap(ulong address, Instruction ins)
    {
        if (address % 64 != 0)
            Report(SanitizerCheck.MisalignedAccess, $"'{ins.Text}': the tensor map at generic address 0x{address:x} is not 64-byte aligned", fatal: true);
        var bytes = new byte[TensorMap.Size];
        for (int offset = 0; offset < TensorMap.Size; offset += 8)
            Access(StateSpace.Generic, address + (ulong)offset, 8, AccessKind.Read).CopyTo(bytes.AsSpan(offset, 8));
        return SoftwareTensorMap.Decode(bytes)
               ?? throw Fault(SanitizerCheck.InvalidCollective, $"'{ins.Text}': the 128 bytes at generic address 0x{address:x} are not a tensor map that EncodeTiledTensorMap made");
    }
}
