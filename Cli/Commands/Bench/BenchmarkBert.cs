using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;
using CudaBert.Model.Bert;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// The model <c>cudabert bench train</c> times: a BERT encoder (post-LN, GELU, dropout 0.1 on
/// embeddings, attention probabilities and both residual branches, as Hugging Face's BertModel)
/// with the multi-task heads — a sentence classifier on masked mean pooling and a token
/// classifier — built from the engine's modules, BERT's random init (<see cref="BertInit"/>). tools/torch-bench/bert_multitask_step.py
/// builds the same model in PyTorch.
/// </summary>
sealed class BenchmarkBert : Module
{
    public sealed record Config(int Vocab = 30522, int Hidden = 768, int Layers = 12, int Heads = 12, int Intermediate = 3072,
        int MaxPositions = 512, int SentenceClasses = 7, int TokenClasses = 72, double Dropout = 0.1);

    readonly Embedding words, positions, tokenTypes;
    readonly LayerNorm embeddingNorm;
    readonly List<Layer> layers = [];
    readonly Linear sentenceHead, tokenHead;
    readonly Dropout dropout;

    public BenchmarkBert(Config config, ulong seed)
    {
        var generator = new Generator(seed);
        words = RegisterModule("word_embeddings", new Embedding(config.Vocab, config.Hidden, generator, init: BertInit.Instance));
        positions = RegisterModule("position_embeddings", new Embedding(config.MaxPositions, config.Hidden, generator, init: BertInit.Instance));
        tokenTypes = RegisterModule("token_type_embeddings", new Embedding(2, config.Hidden, generator, init: BertInit.Instance));
        embeddingNorm = RegisterModule("embeddings_layer_norm", new LayerNorm(config.Hidden));
        for (int i = 0; i < config.Layers; i++)
            layers.Add(RegisterModule($"layer_{i}", new Layer(config, generator)));
        sentenceHead = RegisterModule("sentence_head", new Linear(config.Hidden, config.SentenceClasses, generator, init: BertInit.Instance));
        tokenHead = RegisterModule("token_head", new Linear(config.Hidden, config.TokenClasses, generator, init: BertInit.Instance));
        dropout = RegisterModule("dropout", new Dropout(config.Dropout, seed));
    }

    /// <summary>ids, positionIds, typeIds [B, S] Int32; padding [B, S] float 1/0; additiveMask [B, S] 0/−∞-like. Returns sentence [B, C] and token [B, S, T] logits.</summary>
    public (Tensor Sentence, Tensor Tokens) Forward(Tensor ids, Tensor positionIds, Tensor typeIds, Tensor padding, Tensor additiveMask)
    {
        var embedded = Ops.Add(Ops.Add(words.Forward(ids), positions.Forward(positionIds)), tokenTypes.Forward(typeIds));
        var h = dropout.Forward(embeddingNorm.Forward(embedded));
        foreach (var layer in layers) h = layer.Forward(h, additiveMask, dropout);
        return (sentenceHead.Forward(Ops.MaskedMeanPool(h, padding)), tokenHead.Forward(h));
    }

    /// <summary>One encoder layer: self-attention and feed-forward, each followed by dropout, the residual and a layer norm.</summary>
    sealed class Layer : Module
    {
        readonly int heads;
        readonly Linear query, key, value, attentionOutput, intermediate, output;
        readonly LayerNorm attentionNorm, outputNorm;

        public Layer(Config config, Generator generator)
        {
            heads = config.Heads;
            query = RegisterModule("query", new Linear(config.Hidden, config.Hidden, generator, init: BertInit.Instance));
            key = RegisterModule("key", new Linear(config.Hidden, config.Hidden, generator, init: BertInit.Instance));
            value = RegisterModule("value", new Linear(config.Hidden, config.Hidden, generator, init: BertInit.Instance));
            attentionOutput = RegisterModule("attention_output", new Linear(config.Hidden, config.Hidden, generator, init: BertInit.Instance));
            attentionNorm = RegisterModule("attention_layer_norm", new LayerNorm(config.Hidden));
            intermediate = RegisterModule("intermediate", new Linear(config.Hidden, config.Intermediate, generator, init: BertInit.Instance));
            output = RegisterModule("output", new Linear(config.Intermediate, config.Hidden, generator, init: BertInit.Instance));
            outputNorm = RegisterModule("output_layer_norm", new LayerNorm(config.Hidden));
        }

        public Tensor Forward(Tensor h, Tensor additiveMask, Dropout dropout)
        {
            var q = Ops.SplitHeads(query.Forward(h), heads);
            var k = Ops.SplitHeads(key.Forward(h), heads);
            var v = Ops.SplitHeads(value.Forward(h), heads);
            double scale = 1 / Math.Sqrt(h.Shape.Last / heads);
            var probs = dropout.Forward(Ops.ScaledMaskedSoftmax(Ops.MatMul(q, k, transposeB: true), additiveMask, scale));
            var context = Ops.MergeHeads(Ops.MatMul(probs, v));
            h = attentionNorm.Forward(Ops.Add(h, dropout.Forward(attentionOutput.Forward(context))));
            var feedForward = output.Forward(Ops.Gelu(intermediate.Forward(h)));
            return outputNorm.Forward(Ops.Add(h, dropout.Forward(feedForward)));
        }
    }
}
