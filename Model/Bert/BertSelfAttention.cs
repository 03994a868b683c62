using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// Multi-head scaled dot-product self-attention (Hugging Face <c>attention.self</c>: <c>query</c>,
/// <c>key</c>, <c>value</c>). Per head h of size d: softmax(Q_h·K_hᵀ/√d + mask)·V_h; the heads are
/// concatenated back to [B, S, hidden]. Dropout acts on the attention probabilities.
/// </summary>
public sealed class BertSelfAttention : Module
{
    private readonly int heads;
    private readonly double scale;

    /// <summary>Freshly initialised query, key and value projections (hidden → hidden, split into <see cref="BertConfig.NumAttentionHeads"/> heads).</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertSelfAttention(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        heads = config.NumAttentionHeads;
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

    /// <summary>x [B, S, hidden]; <paramref name="additiveMask"/> [B, S] (0 for tokens, a large negative number for padding) or null.</summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        var q = Ops.SplitHeads(Query.Forward(x), heads);   // [B, heads, S, d]
        var k = Ops.SplitHeads(Key.Forward(x), heads);
        var v = Ops.SplitHeads(Value.Forward(x), heads);
        var scores = Ops.MatMul(q, k, transposeB: true);  // [B, heads, S, S]: query rows, key columns
        var probs = Dropout.Forward(Ops.ScaledMaskedSoftmax(scores, additiveMask, scale));
        return Ops.MergeHeads(Ops.MatMul(probs, v));       // [B, heads, S, d] → [B, S, hidden]
    }
}
