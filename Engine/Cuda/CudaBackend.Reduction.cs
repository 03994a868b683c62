using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Reductions to a scalar: Kernels/bert/column_sum.cu and grad_norm.cu.
public sealed partial class CudaBackend
{
    /// <summary>total[0] = Σ x: the column sum of x seen as one column [n, 1] (deterministic, float accumulation).</summary>
    public void Sum(Tensor x, Tensor total)
    {
        RequireFloat32(nameof(Sum), x, total);
        if (x.NumElements == 0) { Fill(total, 0); return; }
        ColumnSum(Ptr(x, nameof(Sum)), Ptr(total, nameof(Sum)), Rows32(x.NumElements, nameof(Sum)), 1);
    }

    /// <summary>Σ x² accumulated in double on the device (two deterministic passes), then read back.</summary>
    public double SumOfSquares(Tensor x)
    {
        RequireFloat32(nameof(SumOfSquares), x);
        if (x.NumElements == 0) return 0;
        using var total = Scratch(sizeof(double));
        using var workspace = Scratch(OptimizerKernels.SumOfSquaresWorkspaceBytes(x.NumElements));
        OptimizerKernels.SumOfSquares(Gpu, Ptr(x, nameof(SumOfSquares)), x.NumElements, total.Pointer, workspace.Pointer);
        return Read<double>(total.Pointer);
    }
}
