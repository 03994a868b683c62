using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Activations and their gradients: Kernels/bert/activations.cu, gelu_tanh.cu.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void Gelu(Tensor x, Tensor y) => Unary(nameof(Gelu), ActivationKernels.GeluForward, x, y);

    /// <inheritdoc/>
    public void GeluBackward(Tensor x, Tensor dy, Tensor dx) => Binary(nameof(GeluBackward), ActivationKernels.GeluBackward, x, dy, dx);

    /// <inheritdoc/>
    public void Tanh(Tensor x, Tensor y) => Unary(nameof(Tanh), ActivationKernels.TanhForward, x, y);

    /// <inheritdoc/>
    public void TanhBackward(Tensor y, Tensor dy, Tensor dx) => Binary(nameof(TanhBackward), ActivationKernels.TanhBackward, y, dy, dx);

    /// <inheritdoc/>
    public void GeluTanh(Tensor x, Tensor y) => Unary(nameof(GeluTanh), ActivationKernels.GeluTanhForward, x, y);

    /// <inheritdoc/>
    public void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx) => Binary(nameof(GeluTanhBackward), ActivationKernels.GeluTanhBackward, x, dy, dx);
}
