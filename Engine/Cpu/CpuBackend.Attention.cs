using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Attention primitives: scaled masked softmax and axis permutes (head split / merge).
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void ScaledMaskedSoftmax(Tensor scores, Tensor? mask, double scale, Tensor probs) =>
        ByFloatType(scores, () => SoftmaxFloat32(scores, mask, (float)scale, probs), () => Softmax<double>(scores, mask, scale, probs), nameof(ScaledMaskedSoftmax));

    // float32: the same arithmetic as Softmax<T>, fused into three sweeps over each row while it sits in
    // L1 (z = s·x + mask and its max; e^(z − max) and its sum; × 1/sum) instead of six library calls.
    private static void SoftmaxFloat32(Tensor scores, Tensor? mask, float scale, Tensor probs)
    {
        int n = scores.Shape.Last;
        long rows = scores.Shape.Rows;
        long rowsPerBatch = mask is null ? rows : rows / scores.Shape[0];
        ParallelRows(rows, 4L * n, (first, end) =>
        {
            ReadOnlySpan<float> x = scores.AsSpan<float>();
            ReadOnlySpan<float> m = mask is null ? default : mask.AsSpan<float>();
            Span<float> p = probs.AsSpan<float>();
            for (int r = first; r < end; r++)
                SoftmaxRow(x.Slice(r * n, n), mask is null ? default : m.Slice((int)(r / rowsPerBatch) * n, n), scale, p.Slice(r * n, n));
        });
    }

    /// <summary>p = softmax(scale·x + mask) over one row; an empty <paramref name="mask"/> means none.</summary>
    private static void SoftmaxRow(ReadOnlySpan<float> x, ReadOnlySpan<float> mask, float scale, Span<float> p)
    {
        int n = x.Length, vectorEnd = n - n % Vector256<float>.Count;
        var s = Vector256.Create(scale);
        var maxes = Vector256.Create(float.NegativeInfinity);
        for (int j = 0; j < vectorEnd; j += Vector256<float>.Count)
        {
            var z = mask.IsEmpty ? Vector256.Create(x.Slice(j)) * s : Vector256.FusedMultiplyAdd(Vector256.Create(x.Slice(j)), s, Vector256.Create(mask.Slice(j)));
            z.CopyTo(p.Slice(j));
            maxes = Vector256.Max(maxes, z);
        }
        float max = float.NegativeInfinity;
        for (int lane = 0; lane < Vector256<float>.Count; lane++) max = MathF.Max(max, maxes[lane]);
        for (int j = vectorEnd; j < n; j++)
        {
            p[j] = mask.IsEmpty ? x[j] * scale : MathF.FusedMultiplyAdd(x[j], scale, mask[j]);
            max = MathF.Max(max, p[j]);
        }

        // Subtracting the max keeps exp in range; it cancels in the ratio.
        var shift = Vector256.Create(max);
        var sums = Vector256<float>.Zero;
        for (int j = 0; j < vectorEnd; j += Vector256<float>.Count)
        {
            var e = Vector256.Exp(Vector256.Create(p.Slice(j)) - shift);
            e.CopyTo(p.Slice(j));
            sums += e;
        }
        float sum = Vector256.Sum(sums);
        for (int j = vectorEnd; j < n; j++) sum += p[j] = MathF.Exp(p[j] - max);

        TensorPrimitives.Multiply(p, 1 / sum, p);
    }

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

    /// <inheritdoc/>
    public void ScaledMaskedSoftmaxBackward(Tensor probs, Tensor dprobs, double scale, Tensor dscores) =>
        ByFloatType(probs, () => SoftmaxBackward<float>(probs, dprobs, scale, dscores), () => SoftmaxBackward<double>(probs, dprobs, scale, dscores), nameof(ScaledMaskedSoftmaxBackward));

    // With p = softmax(z), ∂p_j/∂z_i = p_j(δ_ij − p_i), so dz_i = p_i(dp_i − Σ_j dp_j p_j);
    // z = scale·x + mask gives dx = scale·dz (the additive mask gets no gradient).
    // float32 fuses the three element-wise steps into one sweep: dx = (dp − dot)·(scale·p).
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
                if (typeof(T) == typeof(float))
                    SoftmaxBackwardRow(MemoryMarshal.Cast<T, float>(pr), MemoryMarshal.Cast<T, float>(dpr), float.CreateTruncating(dot), float.CreateTruncating(s), MemoryMarshal.Cast<T, float>(dxr));
                else
                {
                    TensorPrimitives.Subtract(dpr, dot, dxr);
                    TensorPrimitives.Multiply(dxr, pr, dxr);
                    TensorPrimitives.Multiply(dxr, s, dxr);
                }
            }
        });
    }

    private static void SoftmaxBackwardRow(ReadOnlySpan<float> p, ReadOnlySpan<float> dp, float dot, float scale, Span<float> dx)
    {
        int n = p.Length, j = 0;
        var d = Vector256.Create(dot);
        var s = Vector256.Create(scale);
        for (; j + Vector256<float>.Count <= n; j += Vector256<float>.Count)
            ((Vector256.Create(dp.Slice(j)) - d) * (Vector256.Create(p.Slice(j)) * s)).CopyTo(dx.Slice(j));
        for (; j < n; j++) dx[j] = (dp[j] - dot) * (p[j] * scale);
    }

    /// <inheritdoc/>
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
