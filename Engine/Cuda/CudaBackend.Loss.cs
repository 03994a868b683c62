using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Cross-entropy fused with log-softmax: Kernels/bert/cross_entropy.cu. One pass writes the loss and,
// in the backward, dlogits; the probabilities are never stored.
public sealed partial class CudaBackend
{
    /// <inheritdoc/>
    public void CrossEntropy(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor loss)
    {
        const string primitive = nameof(CrossEntropy);
        RequireFloat32(primitive, logits, weights, loss);
        RequireInt32(primitive, targets);
        int rows = logits.Shape[0];
        if (rows == 0) { Fill(loss, double.NaN); return; }
        using var workspace = Scratch(CrossEntropyKernels.WorkspaceBytes(rows));
        CrossEntropyKernels.ForwardBackward(Gpu, Ptr(logits, primitive), Ptr(targets, primitive), PtrOrNull(weights, primitive),
            IgnoreIndex32(ignoreIndex), rows, logits.Shape[1], Ptr(loss, primitive), default, default, workspace.Pointer);
    }

    /// <summary>The same fused pass with a gradient output; the loss it also computes goes to scratch.</summary>
    public void CrossEntropyBackward(Tensor logits, Tensor targets, Tensor? weights, long ignoreIndex, Tensor dloss, Tensor dlogits)
    {
        const string primitive = nameof(CrossEntropyBackward);
        RequireFloat32(primitive, logits, weights, dloss, dlogits);
        RequireInt32(primitive, targets);
        int rows = logits.Shape[0];
        if (rows == 0) return;
        using var workspace = Scratch(CrossEntropyKernels.WorkspaceBytes(rows));
        using var loss = Scratch(sizeof(float));
        CrossEntropyKernels.ForwardBackward(Gpu, Ptr(logits, primitive), Ptr(targets, primitive), PtrOrNull(weights, primitive),
            IgnoreIndex32(ignoreIndex), rows, logits.Shape[1], loss.Pointer, Ptr(dloss, primitive), Ptr(dlogits, primitive), workspace.Pointer);
    }

    static int IgnoreIndex32(long ignoreIndex) =>
        ignoreIndex is >= int.MinValue and <= int.MaxValue ? (int)ignoreIndex
            : throw NoKernel("CrossEntropy", $"ignore index {ignoreIndex} does not fit the kernel's Int32 targets");
}
