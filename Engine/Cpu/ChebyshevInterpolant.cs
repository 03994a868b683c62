namespace CudaBert.Engine.Cpu;

/// <summary>
/// The polynomial of degree n that interpolates a function at the n + 1 Chebyshev nodes of [a, b]:
/// within a small factor of the best (minimax) polynomial of that degree, and computed here at type
/// initialisation from a double-precision reference instead of being pasted in as magic numbers.
/// </summary>
internal static class ChebyshevInterpolant
{
    /// <summary>
    /// Coefficients c₀…cₙ (lowest power first) of p(w) = Σ cᵢ·wⁱ with w = (x − center) / halfWidth ∈ [−1, 1],
    /// center = (a + b)/2 and halfWidth = (b − a)/2, such that p(w) ≈ f(x) on [a, b].
    /// </summary>
    public static double[] PowersOfCenteredVariable(Func<double, double> f, double a, double b, int degree)
    {
        int count = degree + 1;
        double center = (a + b) / 2, halfWidth = (b - a) / 2;

        // f at the nodes t_k = cos(π(k + ½)/N), then its Chebyshev coefficients by the discrete orthogonality
        // of Tⱼ at those nodes: cheb_j = (2 − δ_j0)/N · Σ_k f(t_k)·cos(jπ(k + ½)/N).
        var values = new double[count];
        for (int k = 0; k < count; k++) values[k] = f(center + halfWidth * Math.Cos(Math.PI * (k + 0.5) / count));
        var chebyshev = new double[count];
        for (int j = 0; j < count; j++)
        {
            double sum = 0;
            for (int k = 0; k < count; k++) sum += values[k] * Math.Cos(j * Math.PI * (k + 0.5) / count);
            chebyshev[j] = (j == 0 ? 1.0 : 2.0) / count * sum;
        }

        // Σ cheb_j·Tⱼ(w) to powers of w, with T₀ = 1, T₁ = w, Tⱼ = 2w·Tⱼ₋₁ − Tⱼ₋₂.
        var powers = new double[count];
        var previous = new double[count];
        var current = new double[count];
        previous[0] = 1;
        powers[0] = chebyshev[0];
        if (count > 1) { current[1] = 1; powers[1] += chebyshev[1]; }
        for (int j = 2; j < count; j++)
        {
            var next = new double[count];
            for (int i = 0; i < j; i++) next[i + 1] += 2 * current[i];
            for (int i = 0; i < j - 1; i++) next[i] -= previous[i];
            for (int i = 0; i <= j; i++) powers[i] += chebyshev[j] * next[i];
            (previous, current) = (current, next);
        }
        return powers;
    }
}
