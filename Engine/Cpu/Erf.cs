using System.Runtime.Intrinsics;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// The Gauss error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt to double precision (.NET has none),
/// in a scalar and a 4-lane SIMD form that compute the same thing:
/// <list type="bullet">
/// <item>|x| &lt; 2: the Maclaurin series erf(x) = 2/√π Σₙ (−1)ⁿ x^(2n+1) / (n!·(2n+1)), cut after
/// <see cref="SeriesTerms"/> terms (error below 2e-15 relative there), as a polynomial in x²
/// (even number of terms: split into even and odd halves).</item>
/// <item>|x| ≥ 2: erf = 1 − erfc with the Laplace continued fraction
/// erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from a tail of
/// <see cref="FractionDepth"/> levels (error below 3e-16).</item>
/// </list>
/// Fixed term counts keep the SIMD form branch-free per lane: every lane computes the series, the
/// fraction is computed (for all four) only when some lane needs it, and each lane keeps its own.
/// </summary>
public static class Erf
{
    private const double SeriesLimit = 2.0;
    private const int SeriesTerms = 30;
    private const int FractionDepth = 40;
    private const double OneOverSqrtPi = 0.56418958354775628;  // 1/√π

    /// <summary>Series coefficients cₙ = (−1)ⁿ·2/√π / (n!·(2n+1)), so erf(x) = x·Σ cₙ·(x²)ⁿ.</summary>
    private static readonly double[] Coefficients = SeriesCoefficients();

    private static double[] SeriesCoefficients()
    {
        var c = new double[SeriesTerms];
        double factorial = 1;
        for (int n = 0; n < SeriesTerms; n++)
        {
            if (n > 0) factorial *= n;
            c[n] = (n % 2 == 0 ? 2 : -2) * OneOverSqrtPi / (factorial * (2 * n + 1));
        }
        return c;
    }

    /// <summary>erf(<paramref name="x"/>) to about 2e-15 relative error; NaN gives NaN, ±∞ gives ±1.</summary>
    public static double Evaluate(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x), result;
        if (a < SeriesLimit)
        {
            // Even and odd coefficients as two polynomials in x⁴: two independent chains of
            // multiply-adds instead of one twice as long (the SIMD form is latency-bound).
            double x2 = a * a, x4 = x2 * x2;
            double even = Coefficients[SeriesTerms - 2], odd = Coefficients[SeriesTerms - 1];
            for (int n = SeriesTerms / 2 - 2; n >= 0; n--)
            {
                even = Math.FusedMultiplyAdd(even, x4, Coefficients[2 * n]);
                odd = Math.FusedMultiplyAdd(odd, x4, Coefficients[2 * n + 1]);
            }
            result = a * Math.FusedMultiplyAdd(odd, x2, even);
        }
        else result = 1.0 - ComplementByFraction(a);
        return x < 0 ? -result : result;
    }

    /// <summary>
    /// erfc(x) = 1 − erf(x), to double precision relative to erfc itself also far in the tail (x ≥ 2, where
    /// 1 − erf(x) would cancel): there it is the continued fraction directly.
    /// </summary>
    public static double Complement(double x) => x >= SeriesLimit ? ComplementByFraction(x) : 1.0 - Evaluate(x);

    private static double ComplementByFraction(double a)
    {
        double tail = a;
        for (int n = FractionDepth; n >= 1; n--) tail = a + n * 0.5 / tail;
        return Math.Exp(-a * a) * OneOverSqrtPi / tail;
    }

    /// <summary>erf of four lanes at once: the algorithm of <see cref="Evaluate(double)"/>, equal to it up to the last bits of exp.</summary>
    public static Vector256<double> Evaluate(Vector256<double> x)
    {
        var a = Vector256.Abs(x);
        var x2 = a * a;
        var x4 = x2 * x2;
        var even = Vector256.Create(Coefficients[SeriesTerms - 2]);
        var odd = Vector256.Create(Coefficients[SeriesTerms - 1]);
        for (int n = SeriesTerms / 2 - 2; n >= 0; n--)
        {
            even = Vector256.FusedMultiplyAdd(even, x4, Vector256.Create(Coefficients[2 * n]));
            odd = Vector256.FusedMultiplyAdd(odd, x4, Vector256.Create(Coefficients[2 * n + 1]));
        }
        var series = a * Vector256.FusedMultiplyAdd(odd, x2, even);

        var limit = Vector256.Create(SeriesLimit);
        if (Vector256.LessThanAll(a, limit))
            return Vector256.CopySign(series, x);   // the common case: no lane needs the fraction

        // For lanes with small a the fraction may divide by zero; those lanes take the series.
        var tail = a;
        for (int n = FractionDepth; n >= 1; n--) tail = a + Vector256.Create(n * 0.5) / tail;
        var fraction = Vector256<double>.One - Vector256.Exp(-x2) * Vector256.Create(OneOverSqrtPi) / tail;

        var magnitude = Vector256.ConditionalSelect(Vector256.LessThan(a, limit), series, fraction);
        return Vector256.CopySign(magnitude, x);
    }
}
