using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// A one-layer multi-task BERT small enough for the software GPU, built from the engine's modules:
/// word + position embeddings → layer norm → self-attention (2 heads, additive padding mask) →
/// residual + layer norm → GELU feed-forward → residual + layer norm; a sentence head on masked
/// mean pooling and a token head on every position. Dropout is on (its mask must be the same bits
/// on both backends). Parameters are made on the CPU from one seed: build it twice and move one
/// copy to the GPU to get two identical models.
/// </summary>
sealed class TinyMultiTaskBert : Module
{
    public const int Vocab = 13, MaxPositions = 8, Hidden = 16, Heads = 2, Intermediate = 24, SentenceClasses = 3, TokenClasses = 5;
    const double DropoutP = 0.1;

    readonly Embedding words, positions;
    readonly LayerNorm embeddingNorm, attentionNorm, outputNorm;
    readonly Linear query, key, value, attentionOutput, intermediate, output, sentenceHead, tokenHead;
    readonly Dropout dropout;

    public TinyMultiTaskBert(ulong seed)
    {
        var generator = new Generator(seed);
        words = RegisterModule("word_embeddings", new Embedding(Vocab, Hidden, generator, init: BertInit.Instance));
        positions = RegisterModule("position_embeddings", new Embedding(MaxPositions, Hidden, generator, init: BertInit.Instance));
        embeddingNorm = RegisterModule("embeddings_norm", new LayerNorm(Hidden));
        query = RegisterModule("query", new Linear(Hidden, Hidden, generator, init: BertInit.Instance));
        key = RegisterModule("key", new Linear(Hidden, Hidden, generator, init: BertInit.Instance));
        value = RegisterModule("value", new Linear(Hidden, Hidden, generator, init: BertInit.Instance));
        attentionOutput = RegisterModule("attention_output", new Linear(Hidden, Hidden, generator, init: BertInit.Instance));
        attentionNorm = RegisterModule("attention_norm", new LayerNorm(Hidden));
        intermediate = RegisterModule("intermediate", new Linear(Hidden, Intermediate, generator, init: BertInit.Instance));
        output = RegisterModule("output", new Linear(Intermediate, Hidden, generator, init: BertInit.Instance));
        outputNorm = RegisterModule("output_norm", new LayerNorm(Hidden));
        sentenceHead = RegisterModule("sentence_head", new Linear(Hidden, SentenceClasses, generator, init: BertInit.Instance));
        tokenHead = RegisterModule("token_head", new Linear(Hidden, TokenClasses, generator, init: BertInit.Instance));
        dropout = RegisterModule("dropout", new Dropout(DropoutP, seed ^ 0xD80F));
        // Non-zero LayerNorm biases and head biases, so their gradients and updates are not trivially equal.
        foreach (var (name, p) in NamedParameters())
            if (name.EndsWith("bias"))
            {
                using var init = Tensor.Normal(p.Shape, generator, 0, 0.1);
                p.Backend.Copy(init, p);
            }
    }

    /// <summary>ids, positionIds [B, S] Int32; paddingMask [B, S] 1/0 float; additiveMask [B, S] 0/−∞-like float. Returns [B, 3] and [B, S, 5] logits.</summary>
    public (Tensor Sentence, Tensor Tokens) Forward(Tensor ids, Tensor positionIds, Tensor paddingMask, Tensor additiveMask)
    {
        var h = dropout.Forward(embeddingNorm.Forward(Ops.Add(words.Forward(ids), positions.Forward(positionIds))));

        var q = Ops.SplitHeads(query.Forward(h), Heads);
        var k = Ops.SplitHeads(key.Forward(h), Heads);
        var v = Ops.SplitHeads(value.Forward(h), Heads);
        var probs = Ops.ScaledMaskedSoftmax(Ops.MatMul(q, k, transposeB: true), additiveMask, 1 / Math.Sqrt(Hidden / Heads));
        var context = Ops.MergeHeads(Ops.MatMul(probs, v));
        h = attentionNorm.Forward(Ops.Add(h, dropout.Forward(attentionOutput.Forward(context))));

        var feedForward = output.Forward(Ops.Gelu(intermediate.Forward(h)));
        h = outputNorm.Forward(Ops.Add(h, dropout.Forward(feedForward)));

        return (sentenceHead.Forward(Ops.MaskedMeanPool(h, paddingMask)), tokenHead.Forward(h));
    }
}
