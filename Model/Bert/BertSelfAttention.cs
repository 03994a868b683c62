using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention (Hugging Face <c>attention.self</c>: <c>query</c>,
/// <c>key</c>, <c>value</c>). Per head h of size d: softmax(Q_h·K_hᵀ/√d + mask)·V_h; the heads are
/// concatenated back to [B, S, hidden]. Dropout acts on the attention probabilities. Two paths compute
/// it: the separate ops below (the readable one: split heads, Q·Kᵀ, softmax, dropout, ·V, merge heads)
/// and <see cref="Ops.FusedAttention"/> (FlashAttention-2: the probabilities never reach memory), which
/// the model takes where the backend prefers it (<see cref="Engine.Backends.IBackend.PrefersFusedAttention"/>).
/// </summary>
public sealed class BertSelfAttention : Module
{
    private readonly int heads, headSize;
    private readonly double scale;

    /// <summary>Freshly initialised query, key and value projections (hidden → hidden, split into <see cref="BertConfig.NumAttentionHeads"/> heads).</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertSelfAttention(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        heads = config.NumAttentionHeads;
        headSize = config.HeadSize;
        scale = 1.0 / Math.Sqrt(config.HeadSize);
        Query = RegisterModule("query", new Linear(config.HiddenSize, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
        Key = RegisterModule("key", new Linear(config.HiddenSize, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
        Value = RegisterModule("value", new Linear(config.HiddenSize, config.HiddenSize, generator, dtype: dtype, init: BertInit.Instance));
        Dropout = RegisterModule("dropout", new Dropout(config.AttentionProbsDropoutProb, dropoutSeeds.Next()));
    }

    /// <summary>Projection hidden → hidden whose output, split into heads, gives the queries Q.</summary>
    public Linear Query { get; }
    /// <summary>Projection hidden → hidden whose output, split into heads, gives the keys K.</summary>
    public Linear Key { get; }
    /// <summary>Projection hidden → hidden whose output, split into heads, gives the values V.</summary>
    public Linear Value { get; }
    /// <summary>Dropout on the attention probabilities (rate <see cref="BertConfig.AttentionProbsDropoutProb"/>).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// Whether attention runs as one fused op (<see cref="Ops.FusedAttention"/>) instead of the separate ops:
    /// null (the default) lets the tensors' backend decide — the CUDA backend for head sizes it has kernels
    /// for; the CPU backend keeps the separate ops, whose products run on its blocked GEMM. The two agree
    /// up to rounding, dropout mask included.
    /// </summary>
    internal bool? Fused { get; set; }

    /// <summary>x [B, S, hidden]; <paramref name="additiveMask"/> [B, S] (0 for tokens, a large negative number for padding) or null.</summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        var q = Query.Forward(x);                            // [B, S, heads·d]
        var k = Key.Forward(x);
        var v = Value.Forward(x);
        if (Fused ?? q.Backend.PrefersFusedAttention(q.DType, headSize)) return FusedForward(q, k, v, additiveMask);
        var (qHeads, kHeads, vHeads) = (Ops.SplitHeads(q, heads), Ops.SplitHeads(k, heads), Ops.SplitHeads(v, heads));
        // What no backward rule reads is freed as soon as the forward is done with it: the projections
        // (their split copies are what the products save), the scores (softmax saves its output), the
        // heads' context (merging copies it).
        q.ReleaseValues(); k.ReleaseValues(); v.ReleaseValues();
        var scores = Ops.MatMul(qHeads, kHeads, transposeB: true);                                       // [B, heads, S, S]: query rows, key columns
        var softmax = Ops.ScaledMaskedSoftmax(scores, additiveMask, scale);
        scores.ReleaseValues();
        var context = Ops.MatMul(Dropout.Forward(softmax), vHeads);                                      // [B, heads, S, d]
        var merged = Ops.MergeHeads(context);                                                           // → [B, S, hidden]
        context.ReleaseValues();
        return merged;
    }

    // The heads stay side by side in the projections' [B, S, heads·d] layout; the dropout layer's stream
    // is used and advanced exactly as its own Forward would on the [B, heads, S, S] probabilities.
    private Tensor FusedForward(Tensor q, Tensor k, Tensor v, Tensor? additiveMask)
    {
        bool dropping = Dropout.IsTraining && Dropout.P > 0;
        var y = Ops.FusedAttention(q, k, v, additiveMask, heads, scale, dropping ? Dropout.P : 0, Dropout.Seed, Dropout.Offset);
        if (dropping) Dropout.Offset += (ulong)q.Shape[0] * (ulong)heads * (ulong)q.Shape[1] * (ulong)k.Shape[1];
        return y;
    }
}
