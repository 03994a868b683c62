using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Layer normalisation: Kernels/bert/layernorm.cu (one warp per row; a deterministic two-pass backward).
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void LayerNorm(Tensor x, Tensor gamma, Tensor beta, double eps, Tensor y, Tensor mean, Tensor rstd)
    {
        const string primitive = nameof(LayerNorm);
        RequireFloat32(primitive, x, gamma, beta, y, mean, rstd);
        if (x.NumElements == 0) return;
        int cols = x.Shape.Last;
        LayerNormKernels.Forward(Gpu, Ptr(x, primitive), Ptr(gamma, primitive), Ptr(beta, primitive), Ptr(y, primitive),
            Ptr(mean, primitive), Ptr(rstd, primitive), Rows32(x.NumElements / cols, primitive), cols, (float)eps);
    }

    /// <inheritdoc/>
    public void LayerNormBackward(Tensor dy, Tensor x, Tensor gamma, Tensor mean, Tensor rstd, Tensor dx, Tensor dgamma, Tensor dbeta)
    {
        const string primitive = nameof(LayerNormBackward);
        RequireFloat32(primitive, dy, x, gamma, mean, rstd, dx, dgamma, dbeta);
        int cols = x.Shape.Last;
        if (x.NumElements == 0) { Fill(dgamma, 0); Fill(dbeta, 0); return; }
        int rows = Rows32(x.NumElements / cols, primitive);
        using var workspace = Scratch(LayerNormKernels.BackwardWorkspaceBytes(rows, cols));
        LayerNormKernels.Backward(Gpu, Ptr(dy, primitive), Ptr(x, primitive), Ptr(gamma, primitive), Ptr(mean, primitive), Ptr(rstd, primitive),
            Ptr(dx, primitive), Ptr(dgamma, primitive), Ptr(dbeta, primitive), rows, cols, workspace.Pointer);
    }
}
