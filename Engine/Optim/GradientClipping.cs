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
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToList();
        double sumOfSquares = 0;
        foreach (var g in grads) sumOfSquares += g.Backend.SumOfSquares(g);
        double norm = Math.Sqrt(sumOfSquares);
        double coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
            foreach (var g in grads) g.Backend.Scale(g, coefficient, g);
        return norm;
    }
}
