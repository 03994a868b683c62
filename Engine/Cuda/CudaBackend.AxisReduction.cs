using CudaBert.Engine.Backends;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Sum (mean with scale = 1/n) over one axis and its gradient: Kernels/bert/axis_sum.cu.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void SumAxis(Tensor x, int axis, double scale, Tensor y)
    {
        RequireFloat32(nameof(SumAxis), x, y);
        var (outer, n, inner) = AxisExtents.Of(x.Shape, axis);
        if (y.NumElements == 0) return;
        // An empty axis: Σ of nothing is 0, scaled like the CPU (0·∞ = NaN for the mean, as PyTorch).
        if (n == 0) { Fill(y, scale * 0.0); return; }
        AxisSumKernels.Forward(Gpu, Ptr(x, nameof(SumAxis)), Ptr(y, nameof(SumAxis)), outer, n, inner, scale);
    }

    /// <inheritdoc/>
    public void SumAxisBackward(Tensor dy, int axis, double scale, Tensor dx)
    {
        RequireFloat32(nameof(SumAxisBackward), dy, dx);
        var (outer, n, inner) = AxisExtents.Of(dx.Shape, axis);
        if (dx.NumElements > 0)
            AxisSumKernels.Backward(Gpu, Ptr(dy, nameof(SumAxisBackward)), Ptr(dx, nameof(SumAxisBackward)), outer, n, inner, scale);
    }
}
