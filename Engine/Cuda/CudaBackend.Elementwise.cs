using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Element-wise arithmetic and bias: Kernels/bert/elementwise.cu, bias.cu, column_sum.cu.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void Add(Tensor a, Tensor b, Tensor y) => Binary(nameof(Add), ElementwiseKernels.Add, a, b, y);

    /// <inheritdoc/>
    public void Sub(Tensor a, Tensor b, Tensor y) => Binary(nameof(Sub), ElementwiseKernels.Sub, a, b, y);

    /// <inheritdoc/>
    public void Mul(Tensor a, Tensor b, Tensor y) => Binary(nameof(Mul), ElementwiseKernels.Mul, a, b, y);

    /// <inheritdoc/>
    public void Scale(Tensor x, double alpha, Tensor y)
    {
        RequireFloat32(nameof(Scale), x, y);
        if (y.NumElements > 0) ElementwiseKernels.Scale(Gpu, Ptr(x, nameof(Scale)), (float)alpha, Ptr(y, nameof(Scale)), y.NumElements);
    }

    /// <inheritdoc/>
    public void AddScaledInPlace(Tensor y, double alpha, Tensor x)
    {
        RequireFloat32(nameof(AddScaledInPlace), x, y);
        if (y.NumElements > 0)
            ElementwiseKernels.AddScaledInPlace(Gpu, Ptr(y, nameof(AddScaledInPlace)), (float)alpha, Ptr(x, nameof(AddScaledInPlace)), y.NumElements);
    }

    /// <inheritdoc/>
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

    // Most launchers have one of two shapes: y = f(x), or y = f(a, b) (a backward's a is what its forward saved, b is dy).
    delegate void UnaryLaunch(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream);
    delegate void BinaryLaunch(ICudaDevice dev, DevicePtr a, DevicePtr b, DevicePtr y, long n, CudaStream? stream);

    void Unary(string primitive, UnaryLaunch launch, Tensor x, Tensor y)
    {
        RequireFloat32(primitive, x, y);
        if (y.NumElements > 0) launch(Gpu, Ptr(x, primitive), Ptr(y, primitive), y.NumElements, null);
    }

    void Binary(string primitive, BinaryLaunch launch, Tensor a, Tensor b, Tensor y)
    {
        RequireFloat32(primitive, a, b, y);
        if (y.NumElements > 0) launch(Gpu, Ptr(a, primitive), Ptr(b, primitive), Ptr(y, primitive), y.NumElements, null);
    }
}
