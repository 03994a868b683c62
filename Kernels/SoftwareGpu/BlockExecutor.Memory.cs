using System.Runtime.CompilerServices;
using System.Buffers.Binary;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Loads, stores, atomics and async copies. Every access goes through <see cref="Access"/>, which
/// finds the backing bytes for a state space and address and runs the sanitizer's checks:
/// bounds (global: inside a live allocation; shared/local/param: inside the block's memory),
/// alignment, shared-memory races and (opt-in) reads of never-written global memory.
/// </summary>
internal sealed partial class BlockExecutor
{
    enum AccessKind : byte { Read, Write, Atomic }

    /// <summary>The bytes [address, address + size) of <paramref name="space"/>, after the sanitizer's checks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    Span<byte> Access(StateSpace space, ulong address, int size, AccessKind kind)
    {
        if (space == StateSpace.Generic)
        {
            if (address - SharedWindow < WindowSize) { space = StateSpace.Shared; address -= SharedWindow; }
            else if (address - LocalWindow < WindowSize) { space = StateSpace.Local; address -= LocalWindow; }
            else if (address - ParamWindow < WindowSize) { space = StateSpace.Param; address -= ParamWindow; }
            else space = StateSpace.Global;
        }
        if ((address & (ulong)(size - 1)) != 0)
            Report(SanitizerCheck.MisalignedAccess, $"{kind} of {size} bytes at {SpaceName(space)} address 0x{address:x} is not {size}-byte aligned", fatal: true);

        switch (space)
        {
            case StateSpace.Global or StateSpace.Const:
            {
                var allocation = _launch.Memory.Find(address, size);
                if (allocation is null)
                    Report(SanitizerCheck.GlobalOutOfBounds, $"{kind} of {size} bytes at global address 0x{address:x} is outside every live allocation{_launch.NearestAllocation(address)}", fatal: true);
                int offset = (int)(address - allocation!.Address);
                if (allocation.Initialized is { } initialized)
                {
                    if (kind == AccessKind.Write) allocation.MarkInitialized(offset, size);
                    else if (Array.IndexOf(initialized, false, offset, size) >= 0)
                    {
                        Report(SanitizerCheck.UninitializedRead, $"read of {size} bytes at global address 0x{address:x} (offset {offset} of the allocation at 0x{allocation.Address:x}) that nothing has written", fatal: false);
                        if (kind == AccessKind.Atomic) allocation.MarkInitialized(offset, size);
                    }
                }
                return allocation.Data.AsSpan(offset, size);
            }
            case StateSpace.Shared:
                if (address + (ulong)size > (ulong)_shared.Length)
                    Report(SanitizerCheck.SharedOutOfBounds, $"{kind} of {size} bytes at shared address 0x{address:x}; the block has {_shared.Length} bytes of shared memory ({_kernel.StaticSharedBytes} static + {_launch.DynamicSharedBytes} dynamic)", fatal: true);
                if (_raceShadow.Length > 0 && kind != AccessKind.Atomic) CheckRace((int)address, size, kind == AccessKind.Write);
                return _shared.AsSpan((int)address, size);
            case StateSpace.Local:
                if (address + (ulong)size > (ulong)_kernel.LocalBytes)
                    Report(SanitizerCheck.SharedOutOfBounds, $"{kind} of {size} bytes at local address 0x{address:x}; each thread has {_kernel.LocalBytes} bytes of local memory", fatal: true);
                return _local.AsSpan(_thread * _kernel.LocalBytes + (int)address, size);
            case StateSpace.Param:
                if (kind != AccessKind.Read || address + (ulong)size > (ulong)_launch.Parameters.Length)
                    Report(SanitizerCheck.SharedOutOfBounds, $"{kind} of {size} bytes at param offset {address}; the kernel has {_launch.Parameters.Length} bytes of parameters", fatal: true);
                return _launch.Parameters.AsSpan((int)address, size);
            default:
                throw new InvalidOperationException($"state space {space} has no memory");
        }
    }

    static string SpaceName(StateSpace s) => s.ToString().ToLowerInvariant();

    ulong EffectiveAddress(in Operand address)
    {
        ulong b = address.Register >= 0 ? _registers[_base + address.Register] : 0;
        if (address.Base32) b &= 0xFFFF_FFFF;
        return b + address.Value;
    }

    static ulong LoadValue(ReadOnlySpan<byte> bytes, PtxType type) => bytes.Length switch
    {
        1 => type.IsSigned() ? (ulong)(sbyte)bytes[0] : bytes[0],
        2 => type.IsSigned() ? (ulong)BinaryPrimitives.ReadInt16LittleEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes),
        4 => type.IsSigned() ? (ulong)BinaryPrimitives.ReadInt32LittleEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
    };

    static void StoreValue(Span<byte> bytes, ulong value)
    {
        switch (bytes.Length)
        {
            case 1: bytes[0] = (byte)value; break;
            case 2: BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value); break;
            case 4: BinaryPrimitives.WriteUInt32LittleEndian(bytes, (uint)value); break;
            default: BinaryPrimitives.WriteUInt64LittleEndian(bytes, value); break;
        }
    }

    /// <summary><c>ld[.space][.vN].type d, [a]</c>: one access of N elements (a vector load is one aligned access).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteLoad(Instruction ins)
    {
        int elementSize = ins.Type == PtxType.Pred ? 1 : ins.Type.Bytes();
        var bytes = Access(ins.Space, EffectiveAddress(ins.Operands[1]), elementSize * ins.Width, AccessKind.Read);
        var dst = ins.Operands[0];
        if (ins.Width == 1) { Write(dst, LoadValue(bytes, ins.Type)); return; }
        for (int k = 0; k < ins.Width; k++)
            Write(dst.Elements![k], LoadValue(bytes.Slice(k * elementSize, elementSize), ins.Type));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteStore(Instruction ins)
    {
        int elementSize = ins.Type == PtxType.Pred ? 1 : ins.Type.Bytes();
        var bytes = Access(ins.Space, EffectiveAddress(ins.Operands[0]), elementSize * ins.Width, AccessKind.Write);
        var src = ins.Operands[1];
        if (ins.Width == 1) { StoreValue(bytes, Read(src)); return; }
        for (int k = 0; k < ins.Width; k++)
            StoreValue(bytes.Slice(k * elementSize, elementSize), Read(src.Elements![k]));
    }

    /// <summary><c>atom</c> (returns the old value) and <c>red</c> (does not). Blocks run one at a time, so every atomic is trivially atomic and ordered deterministically.</summary>
    void ExecuteAtomic(Instruction ins)
    {
        bool returnsOld = ins.Op == Opcode.Atom;
        var ops = ins.Operands;
        var address = returnsOld ? ops[1] : ops[0];
        ulong b = Read(returnsOld ? ops[2] : ops[1]);
        var type = ins.Type;
        int size = type.Bytes();
        var bytes = Access(ins.Space, EffectiveAddress(address), size, AccessKind.Atomic);
        ulong old = LoadValue(bytes, type.IsSigned() ? PtxType.None : type);
        old = type.Truncate(old);
        ulong updated = ins.Atomic switch
        {
            AtomicOp.Add => AtomicAdd(type, old, b),
            AtomicOp.Exch => b,
            AtomicOp.Cas => old == type.Truncate(b) ? Read(ops[3]) : old,
            AtomicOp.And => old & b,
            AtomicOp.Or => old | b,
            AtomicOp.Xor => old ^ b,
            AtomicOp.Min => AtomicMinMax(type, old, b, min: true),
            AtomicOp.Max => AtomicMinMax(type, old, b, min: false),
            // inc/dec wrap within [0, b] as PTX defines them.
            AtomicOp.Inc => old >= type.Truncate(b) ? 0 : old + 1,
            AtomicOp.Dec => old == 0 || old > type.Truncate(b) ? b : old - 1,
            _ => throw new InvalidOperationException($"'{ins.Text}': unknown atomic"),
        };
        StoreValue(bytes, updated);
        if (returnsOld) Write(ops[0], type.IsSigned() ? (ulong)type.AsSigned(old) : old);
    }

    static ulong AtomicAdd(PtxType type, ulong old, ulong b) => type switch
    {
        PtxType.F32 => BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle((uint)old) + BitConverter.UInt32BitsToSingle((uint)b)),
        PtxType.F64 => BitConverter.DoubleToUInt64Bits(BitConverter.UInt64BitsToDouble(old) + BitConverter.UInt64BitsToDouble(b)),
        _ => old + b,
    };

    static ulong AtomicMinMax(PtxType type, ulong old, ulong b, bool min)
    {
        if (type.IsFloat())
        {
            double x = ToDouble(type, old, false), y = ToDouble(type, b, false);
            return (min ? x <= y : x >= y) ? old : type.Truncate(b);
        }
        if (type.IsSigned())
        {
            long x = type.AsSigned(old), y = type.AsSigned(b);
            return (min ? x <= y : x >= y) ? old : type.Truncate(b);
        }
        ulong ub = type.Truncate(b);
        return (min ? old <= ub : old >= ub) ? old : ub;
    }
}
