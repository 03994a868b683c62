using System.Numerics;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// An independent reference for IEEE rounding: floats as exact integers scaled by 2^640 (every
/// float, every product of two floats and every sum of those is an integer at that scale), and
/// rounding by bracketing the exact value between two adjacent floats.
/// </summary>
static class ExactFloat
{
    const int Scale = 640;

    public static BigInteger Of(float f)
    {
        uint bits = BitConverter.SingleToUInt32Bits(f);
        int exponent = (int)((bits >> 23) & 0xFF);
        BigInteger mantissa = bits & 0x7FFFFF;
        int power = exponent == 0 ? -149 : exponent - 150;
        if (exponent != 0) mantissa += 0x800000;
        var v = mantissa << (power + Scale);
        return (bits >> 31) != 0 ? -v : v;
    }

    public static BigInteger Of(long integer) => new BigInteger(integer) << Scale;

    /// <summary>Product of two exact values (rescaled back to 2^640).</summary>
    public static BigInteger Multiply(BigInteger x, BigInteger y) => (x * y) >> Scale; // exact: both factors carry 2^640 and at least 2^(640-149) of it are factors of 2 each

    /// <summary>The float nearest to the exact value <paramref name="x"/> in the direction <paramref name="mode"/> (x must be nonzero and in float range).</summary>
    public static float Round(BigInteger x, Rounding mode)
    {
        double approx = Math.ScaleB((double)x, -Scale);
        float lo = (float)approx;
        while (Of(lo) > x) lo = MathF.BitDecrement(lo);
        while (Of(MathF.BitIncrement(lo)) <= x) lo = MathF.BitIncrement(lo);
        if (Of(lo) == x) return lo;
        float hi = MathF.BitIncrement(lo);
        return mode switch
        {
            Rounding.Rm => lo,
            Rounding.Rp => hi,
            Rounding.Rz => x > 0 ? lo : hi,
            _ => (x - Of(lo)).CompareTo(Of(hi) - x) switch
            {
                < 0 => lo,
                > 0 => hi,
                _ => (BitConverter.SingleToUInt32Bits(lo) & 1) == 0 ? lo : hi,
            },
        };
    }
}
