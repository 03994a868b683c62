using System.Runtime.InteropServices;
using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Attention primitives: scaled masked softmax and axis permutes (head split / merge).
public sealed partial class CpuBackend
{
    public void ScaledMaskedSoftmax(Tensor scores, Tensor? mask, double scale, Tensor probs) =>
        ByFloatType(scores, () => Softmax<float>(scores, mask, scale, probs), () => Softmax<double>(scores, mask, scale, probs), nameof(ScaledMaskedSoftmax));

    private static void Softmax<T>(Tensor scores, Tensor? mask, double scale, Tensor probs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = scores.Shape.Last;
        long rows = scores.Shape.Rows;
        // Rows of one batch element share its mask row: rowsPerBatch = (heads × queries).
        long rowsPerBatch = mask is null ? rows : rows / scores.Shape[0];
        T s = Cast<T>(scale);
        ParallelRows(rows, 4L * n, (first, end) =>
        {
            ReadOnlySpan<T> x = scores.AsSpan<T>();
            ReadOnlySpan<T> m = mask is null ? default : mask.AsSpan<T>();
            Span<T> p = probs.AsSpan<T>();
            for (int r = first; r < end; r++)
            {
                Span<T> row = p.Slice(r * n, n);
                if (mask is null) TensorPrimitives.Multiply(x.Slice(r * n, n), s, row);
                else TensorPrimitives.MultiplyAdd(x.Slice(r * n, n), s, m.Slice((int)(r / rowsPerBatch) * n, n), row);
                // Subtracting the max keeps exp in range; it cancels in the ratio.
                T max = TensorPrimitives.Max<T>(row);
                TensorPrimitives.Subtract(row, max, row);
                TensorPrimitives.Exp<T>(row, row);
                TensorPrimitives.Divide(row, TensorPrimitives.Sum<T>(row), row);
            }
        });
    }

    public void ScaledMaskedSoftmaxBackward(Tensor probs, Tensor dprobs, double scale, Tensor dscores) =>
        ByFloatType(probs, () => SoftmaxBackward<float>(probs, dprobs, scale, dscores), () => SoftmaxBackward<double>(probs, dprobs, scale, dscores), nameof(ScaledMaskedSoftmaxBackward));

    // With p = softmax(z), ∂p_j/∂z_i = p_j(δ_ij − p_i), so dz_i = p_i(dp_i − Σ_j dp_j p_j);
    // z = scale·x + mask gives dx = scale·dz (the additive mask gets no gradient).
    private static void SoftmaxBackward<T>(Tensor probs, Tensor dprobs, double scale, Tensor dscores) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = probs.Shape.Last;
        T s = Cast<T>(scale);
        ParallelRows(probs.Shape.Rows, 3L * n, (first, end) =>
        {
            ReadOnlySpan<T> p = probs.AsSpan<T>(), dp = dprobs.AsSpan<T>();
            Span<T> dx = dscores.AsSpan<T>();
            for (int r = first; r < end; r++)
            {
                var pr = p.Slice(r * n, n);
                var dpr = dp.Slice(r * n, n);
                var dxr = dx.Slice(r * n, n);
                T dot = TensorPrimitives.Dot(pr, dpr);
                TensorPrimitives.Subtract(dpr, dot, dxr);
                TensorPrimitives.Multiply(dxr, pr, dxr);
                TensorPrimitives.Multiply(dxr, s, dxr);
            }
        });
    }

    public void Permute(Tensor x, ReadOnlySpan<int> axes, Tensor y)
    {
        int elementSize = x.DType.SizeInBytes();
        if (elementSize == 4) Permute<int>(x, axes, y);
        else Permute<long>(x, axes, y);
    }

    // Walks the output in order; for each output index, the input offset is Σ index[i]·inputStride[axes[i]].
    // The last output axis is copied as a strided run.
    private static void Permute<T>(Tensor x, ReadOnlySpan<int> axes, Tensor y) where T : unmanaged
    {
        int rank = axes.Length;
        var inStrides = new long[rank];
        for (int i = rank - 1, stride = 1; i >= 0; stride *= x.Shape[i], i--) inStrides[i] = stride;
        var strides = new long[rank];   // input stride of each output axis
        var outDims = new int[rank];
        for (int i = 0; i < rank; i++) { strides[i] = inStrides[axes[i]]; outDims[i] = x.Shape[axes[i]]; }
        int inner = rank == 0 ? 1 : outDims[^1];
        long innerStride = rank == 0 ? 1 : strides[^1];
        long outerCount = inner == 0 ? 0 : x.NumElements / inner;
        ParallelRows(outerCount, inner, (first, end) =>
        {
            // Moves raw elements: any dtype of this size.
            ReadOnlySpan<T> src = MemoryMarshal.Cast<byte, T>(x.AsBytes());
            Span<T> dst = MemoryMarshal.Cast<byte, T>(y.AsBytes());
            for (int o = first; o < end; o++)
            {
                long rest = o, offset = 0;
                for (int i = rank - 2; i >= 0; i--)
                {
                    offset += rest % outDims[i] * strides[i];
                    rest /= outDims[i];
                }
                Span<T> run = dst.Slice(o * inner, inner);
                if (innerStride == 1) src.Slice((int)offset, inner).CopyTo(run);   // e.g. head split/merge: rows of head_dim
                else for (int j = 0; j < inner; j++) run[j] = src[(int)(offset + j * innerStride)];
            }
        });
    }
}
