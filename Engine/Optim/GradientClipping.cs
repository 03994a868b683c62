namespace CudaBert.Engine.Optim;

/// <summary>Global-norm gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all gradients seen as one vector, ‖g‖ = √(Σ_p ‖g_p‖²), and when it
    /// exceeds <paramref name="maxNorm"/> scales every gradient by maxNorm / (‖g‖ + 1e-6).
    /// Parameters without a gradient are ignored. Returns the norm before clipping.
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToArray();
        var sums = new double[grads.Length];
        // One call per run of gradients on the same backend (in practice one run: all of them), so a
        // GPU is waited for once per clip rather than once per parameter.
        for (int start = 0, end; start < grads.Length; start = end)
        {
            var backend = grads[start].Backend;
            for (end = start + 1; end < grads.Length && grads[end].Backend == backend; end++) { }
            backend.SumsOfSquares(grads.AsSpan(start..end), sums.AsSpan(start..end));
        }
        double sumOfSquares = 0;
        foreach (double s in sums) sumOfSquares += s;
        double norm = Math.Sqrt(sumOfSquares);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) g.Backend.Scale(g, coefficient, g);
        return norm;
    }
}
