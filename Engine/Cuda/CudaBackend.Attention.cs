using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Attention's softmax, and permutes: Kernels/bert/softmax.cu, permute.cu.
public sealed partial class CudaBackend
{
    /// <summary>Scores [B, …, Sk] are rows of Sk; the [B, Sk] mask row of score row r is r / (rows / B).</summary>
    public void ScaledMaskedSoftmax(Tensor scores, Tensor? mask, double scale, Tensor probs)
    {
        const string primitive = nameof(ScaledMaskedSoftmax);
        RequireFloat32(primitive, scores, mask, probs);
        if (scores.NumElements == 0) return;
        int cols = scores.Shape.Last, rows = Rows32(scores.NumElements / cols, primitive);
        int rowsPerBatch = mask is null ? rows : rows / scores.Shape[0];
        SoftmaxKernels.Forward(Gpu, Ptr(scores, primitive), PtrOrNull(mask, primitive), Ptr(probs, primitive), rows, cols, rowsPerBatch, (float)scale);
    }

    /// <inheritdoc/>
    public void ScaledMaskedSoftmaxBackward(Tensor probs, Tensor dprobs, double scale, Tensor dscores)
    {
        const string primitive = nameof(ScaledMaskedSoftmaxBackward);
        RequireFloat32(primitive, probs, dprobs, dscores);
        if (probs.NumElements == 0) return;
        int cols = probs.Shape.Last;
        SoftmaxKernels.Backward(Gpu, Ptr(probs, primitive), Ptr(dprobs, primitive), Ptr(dscores, primitive),
            Rows32(probs.NumElements / cols, primitive), cols, (float)scale);
    }

    /// <summary>
    /// For 4-byte elements: a permutation that is one swap of two adjacent blocks of axes (head
    /// split/merge, transposes; see <see cref="AxisBlockSwap"/>) takes the row-copying swap kernel,
    /// any other permutation of up to 6 axes the general one (a strided gather per element).
    /// </summary>
    public void Permute(Tensor x, ReadOnlySpan<int> axes, Tensor y)
    {
        const string primitive = nameof(Permute);
        if (x.DType.SizeInBytes() != 4)
            throw NoKernel(primitive, $"the permute kernels move 4-byte elements, got {x.DType} {x.Shape}");
        if (x.NumElements == 0) return;
        if (AxisBlockSwap.Of(x.Shape, axes) is { } swap)
        {
            if (swap.P == 1 || swap.Q == 1) Copy(x, y);   // nothing moves
            else PermuteKernels.SwapAxes12(Gpu, Ptr(x, primitive), Ptr(y, primitive),
                Rows32(swap.A, primitive), Rows32(swap.P, primitive), Rows32(swap.Q, primitive), Rows32(swap.D, primitive));
            return;
        }
        if (x.Rank > MaxPermuteRank)
            throw NoKernel($"{primitive} [{string.Join(", ", axes.ToArray())}] of {x.Shape}", $"the general permute kernel takes at most {MaxPermuteRank} axes");
        PermuteKernels.Permute(Gpu, Ptr(x, primitive), Ptr(y, primitive), x.Shape.Dims, axes);
    }

    /// <summary>Axes the general permute kernel (Kernels/bert/permute.cu) handles.</summary>
    const int MaxPermuteRank = 6;
}
