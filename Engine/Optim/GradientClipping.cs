using CudaBert.Engine.Backends;

namespace CudaBert.Engine.Optim;

/// <summary>Global-norm gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Computes the L2 norm of all gradients seen as one vector, ‖g‖ = √(Σ_p ‖g_p‖²), and when it
    /// exceeds <paramref name="maxNorm"/> scales every gradient by maxNorm / (‖g‖ + 1e-6).
    /// Parameters without a gradient are ignored. Returns the norm before clipping, read back from the
    /// device (on a GPU this waits for it: <see cref="ClipGradNorm(IEnumerable{Tensor}, double, Tensor)"/> does not).
    /// </summary>
    public static double ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm)
    {
        var withGrad = parameters.Where(p => p.Grad is not null).ToArray();
        if (withGrad.Length == 0) return 0;
        using var norm = Tensor.Empty([1], DType.Float64, withGrad[0].Device);
        ClipGradNorm(withGrad, maxNorm, norm);
        return norm.Item();
    }

    /// <summary>
    /// As <see cref="ClipGradNorm(IEnumerable{Tensor}, double)"/>, but the norm is written to
    /// <paramref name="norm"/> (a one-element Float64 tensor on the gradients' device) and nothing is read
    /// back: on a GPU the host queues the clipping and goes on (<see cref="IBackend.ClipGradNorm"/>).
    /// Every gradient must be on that one device.
    /// </summary>
    public static void ClipGradNorm(IEnumerable<Tensor> parameters, double maxNorm, Tensor norm)
    {
        var grads = parameters.Where(p => p.Grad is not null).Select(p => p.Grad!).ToArray();
        if (grads.FirstOrDefault(g => g.Device != norm.Device) is { } other)
            throw new ArgumentException($"gradient clipping: a gradient {other.Shape} is on {other.Device}, the norm tensor on {norm.Device}");
        norm.Backend.ClipGradNorm(grads, maxNorm, norm);
    }
}
