using System.Runtime.CompilerServices;
using System.Numerics;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>Integer and bit instructions: results wrap to the instruction type's width, as PTX specifies.</summary>
internal sealed partial class BlockExecutor
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteInteger(Instruction ins)
    {
        var ops = ins.Operands;
        var type = ins.Type;
        int bits = type.Bits();
        bool signed = type.IsSigned();
        ulong a = ops.Length > 1 ? Read(ops[1]) : 0;
        ulong b = ops.Length > 2 ? Read(ops[2]) : 0;
        ulong result = ins.Op switch
        {
            Opcode.Add => ins.Sat ? SaturatedS32((long)(int)a + (int)b) : a + b,
            Opcode.Sub => ins.Sat ? SaturatedS32((long)(int)a - (int)b) : a - b,
            Opcode.Mul => Multiply(ins.Mul, type, a, b),
            Opcode.Mad => MultiplyAdd(ins, a, b, Read(ops[3])),
            Opcode.Div => Divide(type, a, b),
            Opcode.Rem => Remainder(type, a, b),
            Opcode.Abs => type.AsSigned(a) == type.IntegerRange().Min ? a : (ulong)Math.Abs(type.AsSigned(a)), // |MinValue| wraps to itself
            Opcode.Neg => 0 - a,
            Opcode.Min => signed ? (ulong)Math.Min(type.AsSigned(a), type.AsSigned(b)) : Math.Min(type.Truncate(a), type.Truncate(b)),
            Opcode.Max => signed ? (ulong)Math.Max(type.AsSigned(a), type.AsSigned(b)) : Math.Max(type.Truncate(a), type.Truncate(b)),
            Opcode.And => a & b,
            Opcode.Or => a | b,
            Opcode.Xor => a ^ b,
            Opcode.Not => ~a,
            Opcode.Cnot => type.Truncate(a) == 0 ? 1UL : 0UL,
            Opcode.Shl => (uint)b >= bits ? 0 : a << (int)b,
            Opcode.Shr => ShiftRight(type, a, (uint)b),
            Opcode.Shf => FunnelShift(ins, (uint)a, (uint)b, (uint)Read(ops[3])),
            Opcode.Bfind => FindMostSignificantBit(type, a, ins.ShiftAmount),
            Opcode.Sad => Read(ops[3]) + AbsoluteDifference(type, a, b),
            Opcode.Bfe => BitFieldExtract(type, a, (uint)b & 0xFF, (uint)Read(ops[3]) & 0xFF),
            Opcode.Bfi => BitFieldInsert(type, a, b, (uint)Read(ops[3]) & 0xFF, (uint)Read(ops[4]) & 0xFF),
            Opcode.Prmt => Permute((uint)a, (uint)b, (uint)Read(ops[3])),
            Opcode.Popc => (ulong)BitOperations.PopCount(type.Truncate(a)),
            Opcode.Clz => (ulong)(BitOperations.LeadingZeroCount(type.Truncate(a)) - (64 - bits)),
            Opcode.Brev => bits == 32 ? ReverseBits32((uint)a) : ReverseBits64(a),
            _ => throw new InvalidOperationException($"'{ins.Text}' is not an integer instruction"),
        };
        bool wide = ins.Mul == MulMode.Wide;
        var resultType = ins.Op is Opcode.Popc or Opcode.Clz or Opcode.Bfind ? PtxType.U32 : type;
        Write(ops[0], wide ? WidenedType(type).Truncate(result) : resultType.Truncate(result));
    }

    /// <summary>|a - b| for <c>sad</c>, computed without overflow.</summary>
    static ulong AbsoluteDifference(PtxType type, ulong a, ulong b)
    {
        if (type.IsSigned())
        {
            long x = type.AsSigned(a), y = type.AsSigned(b);
            return x > y ? (ulong)x - (ulong)y : (ulong)y - (ulong)x;
        }
        ulong ux = type.Truncate(a), uy = type.Truncate(b);
        return ux > uy ? ux - uy : uy - ux;
    }

    static ulong SaturatedS32(long v) => (uint)(int)Math.Clamp(v, int.MinValue, int.MaxValue);

    static PtxType WidenedType(PtxType t) => t.Bits() switch
    {
        16 => t.IsSigned() ? PtxType.S32 : PtxType.U32,
        32 => t.IsSigned() ? PtxType.S64 : PtxType.U64,
        _ => t,
    };

    /// <summary><c>mul.lo/.hi/.wide</c>: the low half, high half or full double-width product.</summary>
    static ulong Multiply(MulMode mode, PtxType type, ulong a, ulong b)
    {
        int bits = type.Bits();
        bool signed = type.IsSigned();
        if (bits == 64)
        {
            if (mode != MulMode.Hi) return a * b;
            return signed ? (ulong)Math.BigMul((long)a, (long)b, out _) : Math.BigMul(a, b, out _);
        }
        // 16- and 32-bit operands: the full product fits in 64 bits.
        ulong full = signed ? (ulong)(type.AsSigned(a) * type.AsSigned(b)) : type.Truncate(a) * type.Truncate(b);
        return mode switch
        {
            MulMode.Hi => signed ? (ulong)((long)full >> bits) : full >> bits,
            MulMode.Wide => full,
            _ => full,
        };
    }

    ulong MultiplyAdd(Instruction ins, ulong a, ulong b, ulong c)
    {
        ulong product = Multiply(ins.Mul, ins.Type, a, b);
        if (ins.Sat && ins.Mul == MulMode.Hi && ins.Type == PtxType.S32)
            return SaturatedS32((long)(int)product + (int)c);
        return product + c;
    }

    /// <summary>Integer division. Division by zero is unspecified in PTX; here it gives all ones (as the hardware's unsigned path does).</summary>
    static ulong Divide(PtxType type, ulong a, ulong b)
    {
        if (type.Truncate(b) == 0) return ulong.MaxValue;
        if (!type.IsSigned()) return type.Truncate(a) / type.Truncate(b);
        long x = type.AsSigned(a), y = type.AsSigned(b);
        if (y == -1) return 0 - (ulong)x; // avoids the overflow trap of MinValue / -1 (the result wraps)
        return (ulong)(x / y);
    }

    static ulong Remainder(PtxType type, ulong a, ulong b)
    {
        if (type.Truncate(b) == 0) return a;
        if (!type.IsSigned()) return type.Truncate(a) % type.Truncate(b);
        long x = type.AsSigned(a), y = type.AsSigned(b);
        return y == -1 ? 0 : (ulong)(x % y);
    }

    /// <summary><c>shr</c>: logical for .b/.u, arithmetic for .s; shifts of the width or more fill with zeros or the sign.</summary>
    static ulong ShiftRight(PtxType type, ulong a, uint shift)
    {
        int bits = type.Bits();
        if (type.IsSigned())
        {
            long v = type.AsSigned(a);
            return (ulong)(v >> (int)Math.Min(shift, 63u));
        }
        return shift >= bits ? 0 : type.Truncate(a) >> (int)shift;
    }

    /// <summary>
    /// <c>shf.l/.r.wrap/.clamp.b32 d, a, b, c</c>: shift the 64-bit pair {b:a} by c (mod 32, or at most
    /// 32 with .clamp); .l keeps the upper word, .r the lower.
    /// </summary>
    static ulong FunnelShift(Instruction ins, uint a, uint b, uint c)
    {
        int n = ins.FunnelClamp ? (int)Math.Min(c, 32u) : (int)(c & 31);
        ulong pair = ((ulong)b << 32) | a;
        return ins.FunnelLeft ? (pair << n) >> 32 : (pair >> n) & 0xFFFF_FFFF;
    }

    /// <summary>
    /// <c>bfind</c>: bit position of the most significant 1 (unsigned) or of the most significant bit
    /// that differs from the sign (signed); 0xFFFFFFFF when there is none. <c>.shiftamt</c> gives
    /// width - 1 - position instead.
    /// </summary>
    static ulong FindMostSignificantBit(PtxType type, ulong a, bool shiftAmount)
    {
        int bits = type.Bits();
        ulong v = type.Truncate(type.IsSigned() && type.AsSigned(a) < 0 ? ~a : a);
        if (v == 0) return 0xFFFF_FFFF;
        int position = 63 - System.Numerics.BitOperations.LeadingZeroCount(v);
        return (ulong)(shiftAmount ? bits - 1 - position : position);
    }

    /// <summary><c>bfe</c>: <paramref name="length"/> bits from <paramref name="position"/>; signed types sign-extend from the field's top bit.</summary>
    static ulong BitFieldExtract(PtxType type, ulong a, uint position, uint length)
    {
        int bits = type.Bits();
        int msb = bits - 1;
        ulong sign = 0;
        if (type.IsSigned() && length > 0) sign = (a >> (int)Math.Min(position + length - 1, (uint)msb)) & 1;
        ulong d = 0;
        for (int i = 0; i < bits; i++)
        {
            ulong bit = i < length && position + i <= msb ? (a >> (int)(position + i)) & 1 : sign;
            d |= bit << i;
        }
        return d;
    }

    /// <summary><c>bfi</c>: inserts the low <paramref name="length"/> bits of <paramref name="field"/> into <paramref name="target"/> at <paramref name="position"/>.</summary>
    static ulong BitFieldInsert(PtxType type, ulong field, ulong target, uint position, uint length)
    {
        int bits = type.Bits();
        ulong d = target;
        for (int i = 0; i < length && position + i < bits; i++)
        {
            int at = (int)position + i;
            d = (d & ~(1UL << at)) | (((field >> i) & 1) << at);
        }
        return d;
    }

    /// <summary><c>prmt</c> (default mode): each result byte picks one of the 8 bytes of {b, a}, or replicates its sign bit when the selector's bit 3 is set.</summary>
    static ulong Permute(uint a, uint b, uint selector)
    {
        ulong bytes = a | ((ulong)b << 32);
        uint d = 0;
        for (int n = 0; n < 4; n++)
        {
            uint sel = (selector >> (4 * n)) & 0xF;
            uint value = (uint)(bytes >> (int)(8 * (sel & 7))) & 0xFF;
            if ((sel & 8) != 0) value = (value & 0x80) != 0 ? 0xFFu : 0u;
            d |= value << (8 * n);
        }
        return d;
    }

    static ulong ReverseBits32(uint v)
    {
        uint r = 0;
        for (int i = 0; i < 32; i++) r |= ((v >> i) & 1) << (31 - i);
        return r;
    }

    static ulong ReverseBits64(ulong v)
    {
        ulong r = 0;
        for (int i = 0; i < 64; i++) r |= ((v >> i) & 1) << (63 - i);
        return r;
    }

    /// <summary><c>mov</c>: plain copy, or packing/unpacking a vector of narrower registers (<c>mov.b64 %rd1, {%r1, %r2}</c>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteMov(Instruction ins)
    {
        var dst = ins.Operands[0];
        var src = ins.Operands[1];
        int bits = ins.Type.Bits();
        if (src.Kind == OperandKind.Vector)
        {
            int part = bits / src.Elements!.Length;
            ulong mask = part == 64 ? ulong.MaxValue : (1UL << part) - 1;
            ulong v = 0;
            for (int k = 0; k < src.Elements.Length; k++) v |= (Read(src.Elements[k]) & mask) << (k * part);
            Write(dst, v);
        }
        else if (dst.Kind == OperandKind.Vector)
        {
            int part = bits / dst.Elements!.Length;
            ulong mask = part == 64 ? ulong.MaxValue : (1UL << part) - 1;
            ulong v = Read(src);
            for (int k = 0; k < dst.Elements.Length; k++) Write(dst.Elements[k], (v >> (k * part)) & mask);
        }
        else Write(dst, ins.Type == PtxType.Pred ? Read(src) & 1 : ins.Type.Truncate(Read(src)));
    }

    /// <summary><c>cvta</c>: between a state-space address and a generic one (shared, local and param sit in their windows; global is identity).</summary>
    void ExecuteCvta(Instruction ins)
    {
        ulong a = Read(ins.Operands[1]);
        ulong window = ins.Space switch
        {
            StateSpace.Shared => SharedWindow,
            StateSpace.Local => LocalWindow,
            StateSpace.Param => ParamWindow,
            _ => 0,
        };
        ulong result = ins.ToSpace ? a - window : a + window;
        Write(ins.Operands[0], ins.Type.Truncate(result));
    }

    /// <summary><c>setp</c>: compare, optionally combine with a predicate (<c>.and/.or/.xor</c>); a second destination gets the complement.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteSetp(Instruction ins)
    {
        var ops = ins.Operands;
        bool r = Compare(ins, Read(ops[1]), Read(ops[2]));
        bool complement = !r;
        if (ins.CombineWith is { } combine)
        {
            bool c = (Read(ops[3]) & 1) != 0;
            if (ops[3].Negated) c = !c;
            r = Combine(combine, r, c);
            complement = Combine(combine, complement, c);
        }
        if (ops[0].Kind == OperandKind.Vector)
        {
            Write(ops[0].Elements![0], r ? 1UL : 0UL);
            Write(ops[0].Elements![1], complement ? 1UL : 0UL);
        }
        else Write(ops[0], r ? 1UL : 0UL);
    }

    static bool Combine(Opcode op, bool x, bool y) => op switch
    {
        Opcode.And => x && y,
        Opcode.Or => x || y,
        _ => x ^ y,
    };

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    bool Compare(Instruction ins, ulong a, ulong b)
    {
        var type = ins.Type;
        if (type.IsFloat())
        {
            double x, y;
            if (type == PtxType.F32) { x = ReadF32Bits(a, ins.Ftz); y = ReadF32Bits(b, ins.Ftz); }
            else { x = ToDouble(type, a, false); y = ToDouble(type, b, false); }
            bool unordered = double.IsNaN(x) || double.IsNaN(y);
            return ins.Compare switch
            {
                CompareOp.Eq => !unordered && x == y,
                CompareOp.Ne => !unordered && x != y,
                CompareOp.Lt => !unordered && x < y,
                CompareOp.Le => !unordered && x <= y,
                CompareOp.Gt => !unordered && x > y,
                CompareOp.Ge => !unordered && x >= y,
                CompareOp.Equ => unordered || x == y,
                CompareOp.Neu => unordered || x != y,
                CompareOp.Ltu => unordered || x < y,
                CompareOp.Leu => unordered || x <= y,
                CompareOp.Gtu => unordered || x > y,
                CompareOp.Geu => unordered || x >= y,
                CompareOp.Num => !unordered,
                CompareOp.Nan => unordered,
                _ => throw new InvalidOperationException($"'{ins.Text}': .{ins.Compare} is not a float comparison"),
            };
        }
        if (type.IsSigned())
        {
            long x = type.AsSigned(a), y = type.AsSigned(b);
            return ins.Compare switch
            {
                CompareOp.Eq => x == y, CompareOp.Ne => x != y,
                CompareOp.Lt => x < y, CompareOp.Le => x <= y, CompareOp.Gt => x > y, CompareOp.Ge => x >= y,
                _ => CompareUnsigned(ins, type.Truncate(a), type.Truncate(b)),
            };
        }
        return CompareUnsigned(ins, type.Truncate(a), type.Truncate(b));
    }

    static bool CompareUnsigned(Instruction ins, ulong x, ulong y) => ins.Compare switch
    {
        CompareOp.Eq => x == y, CompareOp.Ne => x != y,
        CompareOp.Lt or CompareOp.Lo => x < y, CompareOp.Le or CompareOp.Ls => x <= y,
        CompareOp.Gt or CompareOp.Hi => x > y, CompareOp.Ge or CompareOp.Hs => x >= y,
        _ => throw new InvalidOperationException($"'{ins.Text}': .{ins.Compare} is not an integer comparison"),
    };

    static float ReadF32Bits(ulong bits, bool ftz)
    {
        float f = BitConverter.UInt32BitsToSingle((uint)bits);
        return ftz ? FloatRounding.FlushToZero(f) : f;
    }

    /// <summary><c>slct.dtype.s32/.f32 d, a, b, c</c>: d = c ≥ 0 ? a : b.</summary>
    void ExecuteSlct(Instruction ins)
    {
        var ops = ins.Operands;
        ulong c = Read(ops[3]);
        bool nonNegative = ins.SourceType == PtxType.F32 ? ReadF32Bits(c, ins.Ftz) >= 0 : (int)c >= 0;
        Write(ops[0], nonNegative ? Read(ops[1]) : Read(ops[2]));
    }
}
