namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// <c>cvt</c>: every integer/float/narrow-float combination NVRTC emits. Float → integer rounds
/// in the given integer mode and saturates (NaN → 0), as PTX specifies; integer → float and
/// float → narrower float round in the given IEEE mode; f16/bf16/tf32 go through
/// <see cref="FloatRounding"/>.
/// </summary>
internal sealed partial class BlockExecutor
{
    void ExecuteCvt(Instruction ins)
    {
        var ops = ins.Operands;
        var to = ins.Type;
        var from = ins.SourceType;

        // Pairs: cvt.rn.f16x2.f32 d, a, b packs a into the upper half and b into the lower half.
        if (to is PtxType.F16x2 or PtxType.BF16x2)
        {
            float hiValue = ReadF32(ops[1], false), loValue = ReadF32(ops[2], false);
            ulong hi = to == PtxType.F16x2 ? FloatRounding.ToHalfBits(hiValue, ins.Round) : FloatRounding.ToBFloat16Bits(hiValue, ins.Round);
            ulong lo = to == PtxType.F16x2 ? FloatRounding.ToHalfBits(loValue, ins.Round) : FloatRounding.ToBFloat16Bits(loValue, ins.Round);
            Write(ops[0], (hi << 16) | lo);
            return;
        }

        ulong a = Read(ops[1]);
        ulong result;
        if (from.IsFloat() && to.IsFloat()) result = FloatToFloat(ins, a);
        else if (from.IsFloat()) result = FloatToInteger(ins, ToDouble(from, a, ins.Ftz));
        else if (to.IsFloat()) result = IntegerToFloat(ins, a);
        else result = IntegerToInteger(ins, a);
        Write(ops[0], result);
    }

    /// <summary>A float register value of type <paramref name="type"/> as a double (exact for every narrower format).</summary>
    static double ToDouble(PtxType type, ulong bits, bool ftz) => type switch
    {
        PtxType.F64 => BitConverter.UInt64BitsToDouble(bits),
        PtxType.F32 => ReadF32Bits(bits, ftz),
        PtxType.F16 => FloatRounding.HalfToSingle((ushort)bits),
        PtxType.BF16 => FloatRounding.BFloat16ToSingle((ushort)bits),
        PtxType.TF32 => BitConverter.UInt32BitsToSingle((uint)bits),
        _ => throw new InvalidOperationException($".{type} is not a scalar float type"),
    };

    static ulong FloatToFloat(Instruction ins, ulong a)
    {
        var to = ins.Type;
        double x = ToDouble(ins.SourceType, a, ins.Ftz);
        // An integer rounding mode (.rni, .rzi, .rmi, .rpi) rounds to an integral value, which the
        // destination then holds exactly or rounds to nearest; any other mode is the IEEE rounding.
        bool toIntegral = ins.Round is Rounding.Rni or Rounding.Rzi or Rounding.Rmi or Rounding.Rpi;
        if (toIntegral) x = FloatRounding.RoundToIntegral(x, ins.Round);
        if (ins.Sat) x = FloatRounding.Saturate(x);
        var mode = toIntegral ? Rounding.Rn : ins.Round;
        switch (to)
        {
            case PtxType.F64:
                return BitConverter.DoubleToUInt64Bits(x);
            case PtxType.F32:
            {
                float f = FloatRounding.RoundToSingle(x, 0, mode);
                if (ins.Ftz) f = FloatRounding.FlushToZero(f);
                return BitConverter.SingleToUInt32Bits(f);
            }
        }
        // Narrow targets take an f32 source (an f64 source is first rounded to f32 in the same mode:
        // exact whenever the f32 value is, which is the case for every value NVRTC converts this way).
        float source = FloatRounding.RoundToSingle(x, 0, mode == Rounding.Rna ? Rounding.Rn : mode);
        return to switch
        {
            PtxType.F16 => FloatRounding.ToHalfBits(source, mode),
            PtxType.BF16 => FloatRounding.ToBFloat16Bits(source, mode),
            PtxType.TF32 => FloatRounding.ToTf32Bits(source, mode),
            _ => throw new InvalidOperationException($"'{ins.Text}': conversion to .{to} is not implemented"),
        };
    }

    /// <summary>Float → integer: round to integral in the <c>.rXi</c> mode, then saturate to the destination range (NaN → 0).</summary>
    static ulong FloatToInteger(Instruction ins, double x)
    {
        var to = ins.Type;
        if (double.IsNaN(x)) return 0;
        double r = FloatRounding.RoundToIntegral(x, ins.Round == Rounding.None ? Rounding.Rzi : ins.Round);
        var (min, max) = to.IntegerRange();
        Int128 v = r <= (double)min ? min : r >= (double)max ? max : (Int128)r;
        return to.Truncate((ulong)(v & ulong.MaxValue));
    }

    /// <summary>Integer → float, rounded in the given IEEE mode (exact value carried as hi + lo).</summary>
    static ulong IntegerToFloat(Instruction ins, ulong a)
    {
        var from = ins.SourceType;
        Int128 exact = from.IsSigned() ? from.AsSigned(a) : from.Truncate(a);
        double hi = (double)exact;
        double lo = (double)(exact - (Int128)hi);
        var mode = ins.Round;
        switch (ins.Type)
        {
            case PtxType.F64:
                return BitConverter.DoubleToUInt64Bits(FloatRounding.RoundToDouble(hi, lo, mode));
            case PtxType.F32:
            {
                float f = FloatRounding.RoundToSingle(hi, lo, mode);
                if (ins.Sat) f = FloatRounding.Saturate(f);
                return BitConverter.SingleToUInt32Bits(f);
            }
            case PtxType.F16:
                return FloatRounding.ToHalfBits(FloatRounding.RoundToSingle(hi, lo, mode), mode);
            case PtxType.BF16:
                return FloatRounding.ToBFloat16Bits(FloatRounding.RoundToSingle(hi, lo, mode), mode);
            default:
                throw new InvalidOperationException($"'{ins.Text}': conversion to .{ins.Type} is not implemented");
        }
    }

    /// <summary>Integer → integer: sign- or zero-extend from the source width, truncate to the destination; <c>.sat</c> clamps.</summary>
    static ulong IntegerToInteger(Instruction ins, ulong a)
    {
        var from = ins.SourceType;
        var to = ins.Type;
        Int128 v = from.IsSigned() ? from.AsSigned(a) : from.Truncate(a);
        if (ins.Sat)
        {
            var (min, max) = to.IntegerRange();
            v = Int128.Clamp(v, min, max);
        }
        ulong bitsOut = (ulong)(v & ulong.MaxValue);
        // A signed destination narrower than its register is sign-extended into the register.
        return to.IsSigned() ? (ulong)to.AsSigned(bitsOut) : to.Truncate(bitsOut);
    }
}
