using System.Numerics;
using System.Numerics.Tensors;

namespace CudaBert.Engine.Cpu;

// Embedding lookup and masked mean pooling.
public sealed partial class CpuBackend
{
    /// <inheritdoc/>
    public void EmbeddingGather(Tensor table, Tensor ids, Tensor y)
    {
        int dim = table.Shape.Last;
        int bytesPerRow = dim * table.DType.SizeInBytes();
        var indices = CheckedIndices(ids, table.Shape[0]);
        Span<byte> src = table.AsBytes(), dst = y.AsBytes();
        for (int i = 0; i < indices.Length; i++)
            src.Slice((int)indices[i] * bytesPerRow, bytesPerRow).CopyTo(dst.Slice(i * bytesPerRow, bytesPerRow));
    }

    /// <inheritdoc/>
    public void EmbeddingScatterAdd(Tensor dy, Tensor ids, Tensor dtable) =>
        ByFloatType(dtable, () => ScatterAdd<float>(dy, ids, dtable), () => ScatterAdd<double>(dy, ids, dtable), nameof(EmbeddingScatterAdd));

    // Sequential on purpose: repeated ids (padding, frequent tokens) write the same row.
    private static void ScatterAdd<T>(Tensor dy, Tensor ids, Tensor dtable) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int dim = dtable.Shape.Last;
        var indices = CheckedIndices(ids, dtable.Shape[0]);
        ReadOnlySpan<T> d = dy.AsSpan<T>();
        Span<T> table = dtable.AsSpan<T>();
        for (int i = 0; i < indices.Length; i++)
        {
            var row = table.Slice((int)indices[i] * dim, dim);
            TensorPrimitives.Add(row, d.Slice(i * dim, dim), row);
        }
    }

    private static long[] CheckedIndices(Tensor ids, int rows)
    {
        var indices = ids.IndicesAsLongs();
        for (int i = 0; i < indices.Length; i++)
            if ((ulong)indices[i] >= (ulong)rows)
                throw new IndexOutOfRangeException($"embedding: id {indices[i]} at position {i} is outside the table of {rows} rows");
        return indices;
    }

    /// <inheritdoc/>
    public void MaskedMeanPool(Tensor h, Tensor mask, double eps, Tensor y) =>
        ByFloatType(h, () => Pool<float>(h, mask, eps, y, backward: false), () => Pool<double>(h, mask, eps, y, backward: false), nameof(MaskedMeanPool));

    /// <inheritdoc/>
    public void MaskedMeanPoolBackward(Tensor dy, Tensor mask, double eps, Tensor dh) =>
        ByFloatType(dy, () => Pool<float>(dh, mask, eps, dy, backward: true), () => Pool<double>(dh, mask, eps, dy, backward: true), nameof(MaskedMeanPoolBackward));

    // Forward:  pooled[b] = Σ_s h[b, s]·m[b, s] / max(Σ_s m[b, s], eps).
    // Backward: the map is linear in h, so dh[b, s] = dpooled[b]·m[b, s] / max(Σ_s m[b, s], eps).
    private static void Pool<T>(Tensor h, Tensor mask, double eps, Tensor pooled, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = h.Shape[0], seq = h.Shape[1], hidden = h.Shape[2];
        ParallelRows(batch, (long)seq * hidden, (first, end) =>
        {
            Span<T> hs = h.AsSpan<T>(), ps = pooled.AsSpan<T>();
            ReadOnlySpan<T> m = mask.AsSpan<T>();
            for (int b = first; b < end; b++)
            {
                var weights = m.Slice(b * seq, seq);
                T denominator = T.Max(TensorPrimitives.Sum(weights), Cast<T>(eps));
                var p = ps.Slice(b * hidden, hidden);
                if (!backward) p.Clear();
                for (int s = 0; s < seq; s++)
                {
                    var row = hs.Slice((b * seq + s) * hidden, hidden);
                    T w = weights[s] / denominator;
                    if (backward) TensorPrimitives.Multiply(p, w, row);
                    else TensorPrimitives.MultiplyAdd(row, w, p, p);
                }
            }
        });
    }
}
