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
        Span<double> sum = stackalloc double[1];
        SumsOfSquares([x], sum);
        return sum[0];
    }

    /// <summary>Each tensor's Σ x² into its own device double, then one read-back of them all (the only wait for the device).</summary>
    public void SumsOfSquares(ReadOnlySpan<Tensor> xs, Span<double> sums)
    {
        if (xs.Length != sums.Length)
            throw new ArgumentException($"{nameof(SumsOfSquares)}: {xs.Length} tensors but {sums.Length} sums");
        if (xs.IsEmpty) return;
        long workspaceBytes = 0;
        foreach (var x in xs)
        {
            RequireFloat32(nameof(SumsOfSquares), x);
            workspaceBytes = Math.Max(workspaceBytes, OptimizerKernels.SumOfSquaresWorkspaceBytes(x.NumElements));
        }
        using var totals = Scratch(xs.Length * sizeof(double));
        using var workspace = Scratch(workspaceBytes);   // reused by each tensor in turn: the stream runs them in order
        for (int i = 0; i < xs.Length; i++)
        {
            var total = totals.Pointer.Offset(i * sizeof(double));
            if (xs[i].NumElements == 0) Gpu.Memset(total, 0, sizeof(double));
            else OptimizerKernels.SumOfSquares(Gpu, Ptr(xs[i], nameof(SumsOfSquares)), xs[i].NumElements, total, workspace.Pointer);
        }
        Gpu.CopyToHost(totals.Pointer, sums);
    }
}
