using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Element-wise arithmetic, bias and activations: Kernels/bert/elementwise.cu, bias.cu, column_sum.cu, activations.cu, gelu_tanh.cu.
public sealed partial class CudaBackend
{
    public void Add(Tensor a, Tensor b, Tensor y)
    {
        RequireFloat32(nameof(Add), a, b, y);
        if (y.NumElements > 0) ElementwiseKernels.Add(Gpu, Ptr(a, nameof(Add)), Ptr(b, nameof(Add)), Ptr(y, nameof(Add)), y.NumElements);
    }

    public void Sub(Tensor a, Tensor b, Tensor y)
    {
        RequireFloat32(nameof(Sub), a, b, y);
        if (y.NumElements > 0) ElementwiseKernels.Sub(Gpu, Ptr(a, nameof(Sub)), Ptr(b, nameof(Sub)), Ptr(y, nameof(Sub)), y.NumElements);
    }

    public void Mul(Tensor a, Tensor b, Tensor y)
    {
        RequireFloat32(nameof(Mul), a, b, y);
        if (y.NumElements > 0) ElementwiseKernels.Mul(Gpu, Ptr(a, nameof(Mul)), Ptr(b, nameof(Mul)), Ptr(y, nameof(Mul)), y.NumElements);
    }

    public void Scale(Tensor x, double alpha, Tensor y)
    {
        RequireFloat32(nameof(Scale), x, y);
        if (y.NumElements > 0) ElementwiseKernels.Scale(Gpu, Ptr(x, nameof(Scale)), (float)alpha, Ptr(y, nameof(Scale)), y.NumElements);
    }

    public void AddScaledInPlace(Tensor y, double alpha, Tensor x)
    {
        RequireFloat32(nameof(AddScaledInPlace), x, y);
        if (y.NumElements > 0)
            ElementwiseKernels.AddScaledInPlace(Gpu, Ptr(y, nameof(AddScaledInPlace)), (float)alpha, Ptr(x, nameof(AddScaledInPlace)), y.NumElements);
    }

    public void AddBias(Tensor x, Tensor bias, Tensor y)
    {
        RequireFloat32(nameof(AddBias), x, bias, y);
        if (y.NumElements == 0) return;
        int cols = bias.Shape[0];
        BiasKernels.Add(Gpu, Ptr(x, nameof(AddBias)), Ptr(bias, nameof(AddBias)), Ptr(y, nameof(AddBias)), Rows32(y.NumElements / cols, nameof(AddBias)), cols);
    }

    /// <summary>The bias gradient: the deterministic two-pass column sum.</summary>
    public void SumRows(Tensor x, Tensor sums)
    {
        RequireFloat32(nameof(SumRows), x, sums);
        int cols = sums.Shape[0];
        if (cols == 0) return;
        if (x.NumElements == 0) { Fill(sums, 0); return; }   // an empty sum
        ColumnSum(Ptr(x, nameof(SumRows)), Ptr(sums, nameof(SumRows)), Rows32(x.NumElements / cols, nameof(SumRows)), cols);
    }

    /// <summary>sums[c] = Σ_r x[r, c] with the scratch space the two-pass kernel needs.</summary>
    void ColumnSum(DevicePtr x, DevicePtr sums, int rows, int cols)
    {
        using var workspace = Scratch(BiasKernels.ColumnSumWorkspaceBytes(rows, cols));
        BiasKernels.ColumnSum(Gpu, x, sums, rows, cols, workspace.Pointer);
    }

    public void Gelu(Tensor x, Tensor y)
    {
        RequireFloat32(nameof(Gelu), x, y);
        if (y.NumElements > 0) ActivationKernels.GeluForward(Gpu, Ptr(x, nameof(Gelu)), Ptr(y, nameof(Gelu)), y.NumElements);
    }

    public void GeluBackward(Tensor x, Tensor dy, Tensor dx)
    {
        RequireFloat32(nameof(GeluBackward), x, dy, dx);
        if (dx.NumElements > 0)
            ActivationKernels.GeluBackward(Gpu, Ptr(x, nameof(GeluBackward)), Ptr(dy, nameof(GeluBackward)), Ptr(dx, nameof(GeluBackward)), dx.NumElements);
    }

    public void Tanh(Tensor x, Tensor y)
    {
        RequireFloat32(nameof(Tanh), x, y);
        if (y.NumElements > 0) ActivationKernels.TanhForward(Gpu, Ptr(x, nameof(Tanh)), Ptr(y, nameof(Tanh)), y.NumElements);
    }

    public void TanhBackward(Tensor y, Tensor dy, Tensor dx)
    {
        RequireFloat32(nameof(TanhBackward), y, dy, dx);
        if (dx.NumElements > 0)
            ActivationKernels.TanhBackward(Gpu, Ptr(y, nameof(TanhBackward)), Ptr(dy, nameof(TanhBackward)), Ptr(dx, nameof(TanhBackward)), dx.NumElements);
    }

    public void GeluTanh(Tensor x, Tensor y)
    {
        RequireFloat32(nameof(GeluTanh), x, y);
        if (y.NumElements > 0) ActivationKernels.GeluTanhForward(Gpu, Ptr(x, nameof(GeluTanh)), Ptr(y, nameof(GeluTanh)), y.NumElements);
    }

    public void GeluTanhBackward(Tensor x, Tensor dy, Tensor dx)
    {
        RequireFloat32(nameof(GeluTanhBackward), x, dy, dx);
        if (dx.NumElements > 0)
            ActivationKernels.GeluTanhBackward(Gpu, Ptr(x, nameof(GeluTanhBackward)), Ptr(dy, nameof(GeluTanhBackward)), Ptr(dx, nameof(GeluTanhBackward)), dx.NumElements);
    }
}
