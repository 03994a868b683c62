using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// GELU's tanh approximation: Kernels/bert/gelu_tanh.cu.
public sealed partial class CudaBackend
{
    public void GeluTanh(Tensor x, Tensor y)
    {
        RequireFloat32(nameof(GeluTanh), x, y);
        if (y.NumElements > 0) GeluTanhKernels.Forward(Gpu, Ptr(x, nameof(GeluTanh)), Ptr(y, nameof(GeluTanh)), y.NumElements);
    }

    public void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx)
    {
        RequireFloat32(nameof(GeluTanhBackward), x, dy, dx);
        if (dx.NumElements > 0)
            GeluTanhKernels.Backward(Gpu, Ptr(x, nameof(GeluTanhBackward)), Ptr(dy, nameof(GeluTanhBackward)), Ptr(dx, nameof(GeluTanhBackward)), dx.NumElements);
    }
}
