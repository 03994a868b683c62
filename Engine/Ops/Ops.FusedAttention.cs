namespace CudaBert.Engine;

// Multi-head attention as one op (FlashAttention-2): the probabilities are never stored.
public static partial class Ops
{
    /// <summary>
    /// dropout(softmax(Q·Kᵀ·scale + mask))·V for every head at once, equal (up to rounding) to
    /// <c>MergeHeads(MatMul(Dropout(ScaledMaskedSoftmax(MatMul(SplitHeads(q, heads), SplitHeads(k, heads), transposeB: true), mask, scale), p, seed, offset), SplitHeads(v, heads)))</c>.
    /// q [B, Sq, H·d], k and v [B, Sk, H·d] (the query, key and value projections as they come out of their
    /// Linear layers), mask the additive key mask [B, Sk] or null; result [B, Sq, H·d], the heads side by side.
    /// Only the row log-sum-exp [B, H, Sq] is saved for the backward, which recomputes the probabilities; the
    /// dropout mask (p = 0: none) is regenerated from (seed, offset). Callers advance <paramref name="offset"/>
    /// by B·H·Sq·Sk, as <see cref="Nn.Dropout"/> does for the probabilities of the separate ops.
    /// </summary>
    public static Tensor FusedAttention(Tensor q, Tensor k, Tensor v, Tensor? mask, int heads, double scale, double p = 0, ulong seed = 0, ulong offset = 0)
    {
        const string op = "fused_attention";
        CheckFloat(op, q, "q");
        CheckCompatible(op, q, k, "k");
        CheckCompatible(op, q, v, "v");
        if (heads <= 0) throw new ArgumentOutOfRangeException(nameof(heads), heads, $"{op}: the number of heads must be positive");
        if (q.Rank != 3 || k.Rank != 3 || q.Shape[2] % heads != 0 || k.Shape != v.Shape || k.Shape[0] != q.Shape[0] || k.Shape[2] != q.Shape[2])
            throw new ArgumentException($"{op}: q {q.Shape}, k {k.Shape}, v {v.Shape} must be [batch, queries, heads·head_dim], " +
                $"[batch, keys, heads·head_dim] twice, with {heads} heads dividing the width");
        if (k.Shape[1] == 0) throw new ArgumentException($"{op}: k {k.Shape} has no keys to attend to");
        if (mask is not null)
        {
            CheckCompatible(op, q, mask, "mask");
            if (mask.Shape != new Shape(k.Shape[0], k.Shape[1]))
                throw new ArgumentException($"{op}: mask {mask.Shape} must be [batch, keys] = [{k.Shape[0]}, {k.Shape[1]}] for k {k.Shape}");
        }
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, $"{op}: dropout probability must be in [0, 1]");
        var output = EmptyLike(q);
        var lse = Tensor.Empty([q.Shape[0], heads, q.Shape[1]], q.DType, q.Device);
        output.Backend.FusedAttention(q, k, v, mask, heads, scale, p, seed, offset, output, lse);
        if (!ShouldRecord(q, k, v)) { lse.Dispose(); return output; }
        return Record(output, op, [q, k, v], doutput =>
        {
            var (dq, dk, dv) = (EmptyLike(q), EmptyLike(k), EmptyLike(v));
            dq.Backend.FusedAttentionBackward(q, k, v, mask, heads, scale, p, seed, offset, output, lse, doutput, dq, dk, dv);
            return [dq, dk, dv];
        });
    }
}
