using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.Engine.Demo;

/// <summary>
/// A miniature of the real multi-task model: token + position embeddings, LayerNorm, one post-LN
/// encoder layer (multi-head self-attention, GELU feed-forward), then a sentence head on masked
/// mean pooling and a token head on every position. Parameter names follow Hugging Face BERT.
/// </summary>
public sealed class TinyTwoTaskModel : Module
{
    private readonly int heads;
    private readonly Embedding wordEmbeddings, positionEmbeddings;
    private readonly LayerNorm embeddingNorm, attentionNorm, outputNorm;
    private readonly Linear query, key, value, attentionOutput, intermediate, output;
    private readonly Linear sentenceHead, tokenHead;
    private readonly Dropout dropout;

    public TinyTwoTaskModel(int vocabularySize, int maxLength, int hidden, int heads, int sentenceClasses, int tokenClasses, ulong seed, double dropoutP = 0.1)
    {
        this.heads = heads;
        var g = new Generator(seed);
        var embeddings = RegisterModule("embeddings", new Group());
        wordEmbeddings = embeddings.Add("word_embeddings", new Embedding(vocabularySize, hidden, g, init: BertInit.Instance));
        positionEmbeddings = embeddings.Add("position_embeddings", new Embedding(maxLength, hidden, g, init: BertInit.Instance));
        embeddingNorm = embeddings.Add("LayerNorm", new LayerNorm(hidden));
        var layer = RegisterModule("encoder", new Group()).Add("layer", new Group()).Add("0", new Group());
        var attention = layer.Add("attention", new Group());
        var self = attention.Add("self", new Group());
        query = self.Add("query", new Linear(hidden, hidden, g, init: BertInit.Instance));
        key = self.Add("key", new Linear(hidden, hidden, g, init: BertInit.Instance));
        value = self.Add("value", new Linear(hidden, hidden, g, init: BertInit.Instance));
        var attentionOut = attention.Add("output", new Group());
        attentionOutput = attentionOut.Add("dense", new Linear(hidden, hidden, g, init: BertInit.Instance));
        attentionNorm = attentionOut.Add("LayerNorm", new LayerNorm(hidden));
        intermediate = layer.Add("intermediate", new Group()).Add("dense", new Linear(hidden, 2 * hidden, g, init: BertInit.Instance));
        var layerOut = layer.Add("output", new Group());
        output = layerOut.Add("dense", new Linear(2 * hidden, hidden, g, init: BertInit.Instance));
        outputNorm = layerOut.Add("LayerNorm", new LayerNorm(hidden));
        sentenceHead = RegisterModule("sentence_classifier", new Linear(hidden, sentenceClasses, g, init: BertInit.Instance));
        tokenHead = RegisterModule("token_classifier", new Linear(hidden, tokenClasses, g, init: BertInit.Instance));
        dropout = RegisterModule("dropout", new Dropout(dropoutP, seed ^ 0xD0D0));
    }

    /// <summary>The encoder's parameters (embeddings and layers), e.g. for their own parameter group or freezing.</summary>
    public IEnumerable<Tensor> EncoderParameters() =>
        NamedParameters().Where(p => p.Name.StartsWith("embeddings.") || p.Name.StartsWith("encoder.")).Select(p => p.Parameter);

    public IEnumerable<Tensor> HeadParameters() => sentenceHead.Parameters().Concat(tokenHead.Parameters());

    /// <summary>Sentence logits [B, sentenceClasses] and token logits [B, S, tokenClasses].</summary>
    public (Tensor SentenceLogits, Tensor TokenLogits) Forward(Tensor ids, Tensor attentionMask, Tensor additiveMask)
    {
        int batch = ids.Shape[0], seq = ids.Shape[1];
        var positions = Tensor.FromArray(Enumerable.Range(0, batch * seq).Select(i => (long)(i % seq)).ToArray(), [batch, seq]);
        var x = embeddingNorm.Forward(wordEmbeddings.Forward(ids) + positionEmbeddings.Forward(positions));
        x = dropout.Forward(x);

        // Self-attention: softmax(QKᵀ/√d + mask)·V per head, then the output projection.
        var q = Ops.SplitHeads(query.Forward(x), heads);
        var k = Ops.SplitHeads(key.Forward(x), heads);
        var v = Ops.SplitHeads(value.Forward(x), heads);
        var probs = Ops.ScaledMaskedSoftmax(Ops.MatMul(q, k, transposeB: true), additiveMask, 1 / Math.Sqrt(q.Shape[3]));
        var context = Ops.MergeHeads(Ops.MatMul(dropout.Forward(probs), v));
        x = attentionNorm.Forward(dropout.Forward(attentionOutput.Forward(context)) + x);

        var ffn = output.Forward(Ops.Gelu(intermediate.Forward(x)));
        x = outputNorm.Forward(dropout.Forward(ffn) + x);

        var pooled = Ops.MaskedMeanPool(x, attentionMask);
        return (sentenceHead.Forward(dropout.Forward(pooled)), tokenHead.Forward(dropout.Forward(x)));
    }

    /// <summary>A parameterless module that only gives its children a name prefix.</summary>
    private sealed class Group : Module
    {
        public T Add<T>(string name, T child) where T : Module => RegisterModule(name, child);
    }
}
