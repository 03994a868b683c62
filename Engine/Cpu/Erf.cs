namespace CudaBert.Engine.Cpu;

/// <summary>
/// The Gauss error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt to double precision (.NET has none).
/// Small |x|: its Maclaurin series. Large |x|: erfc by the Laplace continued fraction, which
/// converges fast there, and erf = 1 − erfc.
/// </summary>
public static class Erf
{
    private const double TwoOverSqrtPi = 1.1283791670955126;   // 2/√π
    private const double OneOverSqrtPi = 0.56418958354775628;  // 1/√π
    private const double SeriesLimit = 2.0;   // where both methods are accurate to ~1 ulp
    private const int FractionDepth = 80;

    public static double Evaluate(double x)
    {
        if (double.IsNaN(x)) return x;
        double a = Math.Abs(x);
        double result = a < SeriesLimit ? Series(a) : 1.0 - ComplementByFraction(a);
        return x < 0 ? -result : result;
    }

    /// <summary>erf(x) = 2/√π Σₙ (−1)ⁿ x^(2n+1) / (n!·(2n+1)); each term is the previous times −x²/(n+1).</summary>
    private static double Series(double x)
    {
        double term = x, sum = x, x2 = x * x;
        for (int n = 1; n < 200; n++)
        {
            term *= -x2 / n;
            double contribution = term / (2 * n + 1);
            sum += contribution;
            if (Math.Abs(contribution) < 1e-17 * Math.Abs(sum)) break;
        }
        return TwoOverSqrtPi * sum;
    }

    /// <summary>erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from the tail (x &gt; 0).</summary>
    private static double ComplementByFraction(double x)
    {
        double tail = x;
        for (int n = FractionDepth; n >= 1; n--) tail = x + n * 0.5 / tail;
        return Math.Exp(-x * x) * OneOverSqrtPi / tail;
    }
}
