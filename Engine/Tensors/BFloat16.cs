namespace CudaBert.Engine;

/// <summary>
/// A bfloat16 value: the upper 16 bits of a float32 (sign, the same 8 exponent bits, 7 of the 23
/// mantissa bits). Widening to float32 appends 16 zero bits, so it is exact; narrowing rounds the
/// dropped 16 bits to nearest, ties to even. The element type of <see cref="DType.BFloat16"/> tensors.
/// </summary>
public readonly record struct BFloat16(ushort Bits)
{
    /// <summary>The nearest bfloat16 to <paramref name="value"/>, ties to even; ±∞ stay ±∞, a NaN stays a quiet NaN of the same sign.</summary>
    public static BFloat16 FromSingle(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        // A NaN keeps its sign and top payload bits, with the quiet bit set so that truncating the
        // payload can never make it ∞ (0x7F81_0000 would otherwise become 0x7F80, infinity).
        if (float.IsNaN(value)) return new((ushort)((bits >> 16) | 0x0040));
        // Round to nearest even by adding just under half a unit of the kept last bit, plus that bit:
        // below half rounds down, above half up, exactly half up only when the kept last bit is 1.
        // A carry out of the mantissa bumps the exponent, which is the right result (up to ∞).
        uint keptLastBit = (bits >> 16) & 1;
        return new((ushort)((bits + 0x7FFF + keptLastBit) >> 16));
    }

    /// <summary>
    /// The nearest bfloat16 to a double, ties to even. Rounding to float32 first and then to bfloat16
    /// could round twice (a value just above a bfloat16 tie becomes the tie); rounding to float32
    /// "to odd" instead (truncate, then set the last bit when anything was dropped) keeps the
    /// information the second rounding needs, because float32 has more than 2 bits beyond bfloat16's.
    /// </summary>
    public static BFloat16 FromDouble(double value)
    {
        if (double.IsNaN(value)) return FromSingle((float)value);
        float nearest = (float)value;
        if (nearest == value) return FromSingle(nearest);
        uint bits = BitConverter.SingleToUInt32Bits(nearest);
        if (Math.Abs((double)nearest) > Math.Abs(value)) bits--;   // toward zero: one unit less in magnitude (∞ becomes the largest float)
        return FromSingle(BitConverter.UInt32BitsToSingle(bits | 1));
    }

    /// <summary>The exact float32 value.</summary>
    public float ToSingle() => BitConverter.UInt32BitsToSingle((uint)Bits << 16);

    /// <summary>The value as <see cref="ToSingle"/> prints it.</summary>
    public override string ToString() => ToSingle().ToString();

    /// <summary>Narrowing conversion: <see cref="FromSingle"/>.</summary>
    public static explicit operator BFloat16(float value) => FromSingle(value);

    /// <summary>Widening conversion, exact: <see cref="ToSingle"/>.</summary>
    public static implicit operator float(BFloat16 value) => value.ToSingle();
}
