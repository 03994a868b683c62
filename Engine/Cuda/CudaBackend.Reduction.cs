using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Reductions to a scalar: Kernels/bert/sum.cu and grad_norm.cu.
public sealed partial class CudaBackend
{
    /// <summary>total[0] = Σ x accumulated in double and rounded once, as the CPU (two deterministic passes).</summary>
    public void Sum(Tensor x, Tensor total)
    {
        RequireFloat32(nameof(Sum), x, total);
        if (x.NumElements == 0) { Fill(total, 0); return; }
        using var workspace = Scratch(SumKernels.SumWorkspaceBytes(x.NumElements));
        SumKernels.Sum(Gpu, Ptr(x, nameof(Sum)), x.NumElements, Ptr(total, nameof(Sum)), workspace.Pointer);
    }

    /// <summary>Σ x² accumulated in double on the device (two deterministic passes), then read back.</summary>
    public double SumOfSquares(Tensor x)
    {
        RequireFloat32(nameof(SumOfSquares), x);
        if (x.NumElements == 0) return 0;
        using var total = Scratch(sizeof(double));
        using var workspace = Scratch(OptimizerKernels.SumOfSquaresWorkspaceBytes(x.NumElements));
        OptimizerKernels.SumOfSquares(Gpu, Ptr(x, nameof(SumOfSquares)), x.NumElements, total.Pointer, workspace.Pointer);
        Span<double> sum = stackalloc double[1];
        ReadBack(total.Pointer, sum);
        return sum[0];
    }
}
