namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// IEEE rounding the way PTX specifies it, computed exactly: an exact result is carried as a pair
/// <c>hi + lo</c> of doubles (error-free transformations), then rounded once in the requested
/// direction. Also the narrow formats: f16, bf16 and tf32.
/// </summary>
internal static class FloatRounding
{
    /// <summary>Exact sum: <c>hi + lo == a + b</c> with <c>hi = fl(a + b)</c> (Knuth's TwoSum).</summary>
    public static (double Hi, double Lo) TwoSum(double a, double b)
    {
        double s = a + b;
        double bb = s - a;
        double err = (a - (s - bb)) + (b - bb);
        return (s, double.IsFinite(s) ? err : 0);
    }

    /// <summary>Rounds the exact value <c>hi + lo</c> (|lo| at most half an ulp of hi) to float in the given direction.</summary>
    public static float RoundToSingle(double hi, double lo, Rounding mode)
    {
        float f = (float)hi; // round-to-nearest-even of hi alone
        if (double.IsNaN(hi)) return f;
        switch (mode)
        {
            case Rounding.None or Rounding.Rn:
                if ((double)f == hi || lo == 0 || double.IsInfinity(f)) return f;
                // hi lies strictly between two floats; only an exact midpoint needs lo to decide.
                float other = hi > f ? MathF.BitIncrement(f) : MathF.BitDecrement(f);
                double mid = ((double)f + other) / 2;
                if (hi != mid) return f;
                return (lo > 0) == (other > f) ? other : f;
            case Rounding.Rz:
                return hi > 0 || (hi == 0 && lo > 0) ? RoundToSingle(hi, lo, Rounding.Rm) : RoundToSingle(hi, lo, Rounding.Rp);
            case Rounding.Rm:
                return hi < f || (hi == f && lo < 0) ? MathF.BitDecrement(f) : f;
            case Rounding.Rp:
                return hi > f || (hi == f && lo > 0) ? MathF.BitIncrement(f) : f;
            default:
                throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a float rounding mode");
        }
    }

    /// <summary>Rounds the exact value <c>hi + lo</c> (hi already round-to-nearest) to double in the given direction.</summary>
    public static double RoundToDouble(double hi, double lo, Rounding mode) => mode switch
    {
        Rounding.None or Rounding.Rn => hi,
        Rounding.Rm => lo < 0 ? Math.BitDecrement(hi) : hi,
        Rounding.Rp => lo > 0 ? Math.BitIncrement(hi) : hi,
        Rounding.Rz => hi > 0 ? (lo < 0 ? Math.BitDecrement(hi) : hi) : (lo > 0 ? Math.BitIncrement(hi) : hi),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a float rounding mode"),
    };

    /// <summary>
    /// Round-to-odd of the exact value <c>hi + lo</c> to a double: hi when exact or odd, else its
    /// neighbour toward lo. Rounding that double once more to any format with at most 51 significand
    /// bits gives the correctly rounded result of the exact value (no double-rounding error).
    /// </summary>
    public static double RoundToOdd(double hi, double lo)
    {
        if (lo == 0 || (BitConverter.DoubleToInt64Bits(hi) & 1) != 0) return hi;
        return lo > 0 ? Math.BitIncrement(hi) : Math.BitDecrement(hi);
    }

    /// <summary>Rounds to an integral value: <c>.rni</c> (nearest even), <c>.rzi</c>, <c>.rmi</c>, <c>.rpi</c>.</summary>
    public static double RoundToIntegral(double x, Rounding mode) => mode switch
    {
        Rounding.Rni => Math.Round(x, MidpointRounding.ToEven),
        Rounding.Rzi => Math.Truncate(x),
        Rounding.Rmi => Math.Floor(x),
        Rounding.Rpi => Math.Ceiling(x),
        _ => x,
    };

    /// <summary><c>.ftz</c>: subnormal floats become zero of the same sign.</summary>
    public static float FlushToZero(float x) => float.IsSubnormal(x) ? (float.IsNegative(x) ? -0f : 0f) : x;

    /// <summary><c>.sat</c> for floats: clamp to [0, 1], NaN becomes 0.</summary>
    public static float Saturate(float x) => float.IsNaN(x) ? 0f : Math.Clamp(x, 0f, 1f);

    public static double Saturate(double x) => double.IsNaN(x) ? 0d : Math.Clamp(x, 0d, 1d);

    /// <summary>A narrow float format: mantissa bits kept, smallest normal exponent, largest finite value.</summary>
    readonly record struct Format(int MantissaBits, int MinExponent, double MaxFinite);

    static readonly Format Half = new(10, -14, 65504);
    static readonly Format BFloat = new(7, -126, (2 - Math.Pow(2, -7)) * Math.Pow(2, 127));
    static readonly Format TensorFloat = new(10, -126, (2 - Math.Pow(2, -10)) * Math.Pow(2, 127));

    /// <summary>
    /// Rounds a float to a narrower format in the given mode and returns the result as a double
    /// (exactly representable in that format). Works on the scaled value x / quantum, where quantum
    /// is the spacing of the target format around x: rounding that to an integer is exactly the
    /// format's rounding, subnormals included.
    /// </summary>
    static double RoundToFormat(double x, Rounding mode, Format format)
    {
        if (!double.IsFinite(x) || x == 0) return x;
        double v = x;
        int exponent = Math.Max(Math.ILogB(v), format.MinExponent);
        double quantum = Math.ScaleB(1.0, exponent - format.MantissaBits);
        double q = v / quantum;
        double r = mode switch
        {
            Rounding.Rn or Rounding.None => Math.Round(q, MidpointRounding.ToEven),
            Rounding.Rna => Math.Round(q, MidpointRounding.AwayFromZero),
            Rounding.Rz => Math.Truncate(q),
            Rounding.Rm => Math.Floor(q),
            Rounding.Rp => Math.Ceiling(q),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "not a float rounding mode"),
        };
        double result = r * quantum;
        if (Math.Abs(result) > format.MaxFinite)
        {
            bool toMax = mode == Rounding.Rz || (mode == Rounding.Rm && v > 0) || (mode == Rounding.Rp && v < 0);
            result = toMax ? Math.CopySign(format.MaxFinite, v) : Math.CopySign(double.PositiveInfinity, v);
        }
        return result == 0 ? Math.CopySign(0.0, v) : result;
    }

    /// <summary>An exact value (f32, or a double holding an exact f16 result) → f16 bits in the given mode. NaN becomes the canonical 0x7FFF.</summary>
    public static ushort ToHalfBits(double x, Rounding mode) =>
        double.IsNaN(x) ? (ushort)0x7FFF : BitConverter.HalfToUInt16Bits((Half)RoundToFormat(x, mode, Half));

    /// <summary>An exact value → bf16 bits in the given mode. NaN becomes the canonical 0x7FFF.</summary>
    public static ushort ToBFloat16Bits(double x, Rounding mode) =>
        double.IsNaN(x) ? (ushort)0x7FFF : (ushort)(BitConverter.SingleToUInt32Bits((float)RoundToFormat(x, mode, BFloat)) >> 16);

    /// <summary>f32 → tf32 (<c>cvt.rna.tf32.f32</c>): a float whose low 13 mantissa bits are zero.</summary>
    public static uint ToTf32Bits(float x, Rounding mode) =>
        float.IsNaN(x) ? 0x7FFF_FFFFu : BitConverter.SingleToUInt32Bits((float)RoundToFormat(x, mode, TensorFloat));

    public static float HalfToSingle(ushort bits) => (float)BitConverter.UInt16BitsToHalf(bits);

    public static float BFloat16ToSingle(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>How a tensor core reads a tf32 operand register: only the top 19 bits (sign, exponent, 10 mantissa bits).</summary>
    public static float Tf32OperandToSingle(uint bits) => BitConverter.UInt32BitsToSingle(bits & 0xFFFF_E000u);
}
