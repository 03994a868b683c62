namespace CudaBert.Tests.HalfPrecision;

/// <summary>
/// Reference roundings for the 16-bit float tests, written independently of the engine's: bfloat16 by
/// comparing the two neighbouring candidates in double arithmetic, float16 by <see cref="Half"/>.
/// </summary>
static class HalfPrecisionReference
{
    /// <summary>
    /// The nearest bfloat16 to a finite float, ties to even, chosen the long way: the candidates are the
    /// float with its low 16 bits cleared (toward zero) and the next bfloat16 away from zero; whichever is
    /// nearer in exact double arithmetic wins, and on a tie the one with an even last bit.
    /// </summary>
    public static ushort BFloat16Bits(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        ushort towardZero = (ushort)(bits >> 16);
        ushort awayFromZero = (ushort)(towardZero + 1);   // one bfloat16 unit further from zero (may reach ∞)
        // IEEE 754 rounds as if the exponent were unbounded, then overflows: the candidate past the
        // largest finite value counts as 2¹²⁸ (the value the ∞ bit pattern would have), not as ∞.
        bool awayIsInfinity = (awayFromZero & 0x7FFF) == 0x7F80;
        double low = Math.Abs(Widen(towardZero)), high = awayIsInfinity ? Math.Pow(2, 128) : Math.Abs(Widen(awayFromZero)), x = Math.Abs((double)value);
        double below = x - low, above = high - x;
        if (below < above) return towardZero;
        if (above < below) return awayFromZero;
        return (towardZero & 1) == 0 ? towardZero : awayFromZero;
    }

    /// <summary>The value of bfloat16 bits, as a double (∞ for the infinity pattern).</summary>
    public static double Widen(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>float16 bits of the nearest half, by .NET's own conversion.</summary>
    public static ushort Float16Bits(float value) => BitConverter.HalfToUInt16Bits((Half)value);

    /// <summary>
    /// Floats that exercise rounding: random values over many binades, values exactly on bfloat16 and
    /// float16 ties (both parities), subnormals of all three formats, the largest finite values and
    /// signed zeros. No NaN (their bits differ by device), no infinity (tested separately).
    /// </summary>
    public static float[] Values()
    {
        var values = new List<float>
        {
            0f, -0f, 1f, -1f, MathF.PI, 1e-3f, 65504f, 65519.99f, 65520f, -65520f, float.MaxValue, -float.MaxValue,
            float.Epsilon, -float.Epsilon, 1e-40f, BitConverter.UInt32BitsToSingle(0x0001_8000), BitConverter.UInt32BitsToSingle(0x0000_8000),
            BitConverter.UInt32BitsToSingle(0x7F7F_7FFF), BitConverter.UInt32BitsToSingle(0x7F7F_8000),
        };
        var random = new System.Random(5);
        for (int i = 0; i < 200; i++)
        {
            uint mantissa = (uint)random.Next(1 << 23);
            int exponent = random.Next(1, 255);
            uint sign = (uint)random.Next(2) << 31;
            values.Add(BitConverter.UInt32BitsToSingle(sign | (uint)exponent << 23 | mantissa));
            // The exact bfloat16 tie above a random bfloat16, and one unit of float32 either side of it.
            uint tie = (uint)random.Next(0x0080, 0x7F7F) << 16 | 0x8000;
            values.Add(BitConverter.UInt32BitsToSingle(sign | tie));
            values.Add(BitConverter.UInt32BitsToSingle(sign | (tie + 1)));
            values.Add(BitConverter.UInt32BitsToSingle(sign | (tie - 1)));
            // A float16-range value on a float16 tie: 11 significant bits and then a single 1.
            float half = (float)BitConverter.UInt16BitsToHalf((ushort)random.Next(0x0001, 0x7BFF));
            values.Add(BitConverter.UInt32BitsToSingle(BitConverter.SingleToUInt32Bits(half) + (half >= 6.103515625e-05f ? 1u << 12 : 0u)));
            values.Add((float)(random.NextDouble() * 2 - 1) * MathF.Pow(2, random.Next(-30, 30)));
        }
        return [.. values];
    }
}
