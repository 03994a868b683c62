namespace CudaBert.Engine;

// Embedding lookup and masked mean pooling.
public static partial class Ops
{
    /// <summary>
    /// <c>torch.nn.functional.embedding</c>: rows of <paramref name="weight"/> [V, D] picked by
    /// <paramref name="ids"/> (Int32/Int64, any shape); result ids.Shape + [D].
    /// Backward scatters the gradient rows back, adding where an id repeats.
    /// </summary>
    public static Tensor Embedding(Tensor ids, Tensor weight)
    {
        CheckIndex("embedding", ids, "ids");
        CheckFloat("embedding", weight, "weight");
        if (weight.Rank != 2) throw new ArgumentException($"embedding: weight {weight.Shape} must be [num_embeddings, dim]");
        var y = Tensor.Empty([.. ids.Shape.Dims, weight.Shape[1]], weight.DType, weight.Device);
        y.Backend.EmbeddingGather(weight, ids, y);
        return Record(y, "embedding", [weight], dy =>
        {
            var dweight = Tensor.Zeros(weight.Shape, weight.DType, weight.Device);
            dweight.Backend.EmbeddingScatterAdd(dy, ids, dweight);
            return [dweight];
        });
    }

    /// <summary>
    /// Masked mean over the sequence, exactly sentence-transformers' mean pooling:
    /// Σ_s h[b, s]·mask[b, s] / max(Σ_s mask[b, s], eps). h [B, S, H]; mask [B, S] (any dtype: 1 keeps a
    /// token, 0 drops it; no gradient flows to it). Result [B, H].
    /// </summary>
    public static Tensor MaskedMeanPool(Tensor h, Tensor mask, double eps = 1e-9)
    {
        CheckFloat("masked_mean_pool", h, "hidden states");
        if (h.Rank != 3 || mask.Rank != 2 || mask.Shape[0] != h.Shape[0] || mask.Shape[1] != h.Shape[1])
            throw new ArgumentException($"masked_mean_pool: hidden states {h.Shape} must be [batch, seq, hidden] and mask {mask.Shape} [batch, seq]");
        var weights = mask.DType == h.DType ? mask : mask.To(h.DType);
        var pooled = Tensor.Empty([h.Shape[0], h.Shape[2]], h.DType, h.Device);
        pooled.Backend.MaskedMeanPool(h, weights, eps, pooled);
        return Record(pooled, "masked_mean_pool", [h], dy =>
        {
            var dh = EmptyLike(h);
            dh.Backend.MaskedMeanPoolBackward(dy, weights, eps, dh);
            return [dh];
        });
    }
}
