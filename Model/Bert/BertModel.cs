using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// The BERT encoder (Hugging Face <c>BertModel</c>): embeddings, N post-LN layers, and an optional
/// tanh pooler for checkpoints that have one. Parameter names are Hugging Face's without the
/// <c>bert.</c> prefix (<c>embeddings.word_embeddings.weight</c>, <c>encoder.layer.0.attention.self.query.weight</c>,
/// …, <c>pooler.dense.bias</c>); <see cref="BertWeights"/> loads a checkpoint with or without the prefix.
/// </summary>
public sealed class BertModel : Module
{
    /// <summary>A randomly initialised encoder (BERT init: N(0, 0.02²) weights, zero biases, unit LayerNorm).</summary>
    /// <param name="config">The architecture; validated first.</param>
    /// <param name="withPooler">Also build the tanh pooler of the [CLS] state (<see cref="Pooler"/>).</param>
    /// <param name="seed">Seeds the initial weights and every dropout layer's mask stream.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertModel(BertConfig config, bool withPooler, ulong seed, DType dtype = DType.Float32)
        : this(config, withPooler, new Generator(seed), DropoutSeeds.ForModel(seed), dtype) { }

    internal BertModel(BertConfig config, bool withPooler, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        config.Validate();
        Config = config;
        DType = dtype;
        Embeddings = RegisterModule("embeddings", new BertEmbeddings(config, generator, dropoutSeeds, dtype));
        Encoder = RegisterModule("encoder", new BertEncoder(config, generator, dropoutSeeds, dtype));
        if (withPooler) Pooler = RegisterModule("pooler", new BertPooler(config, generator, dtype));
    }

    /// <summary>The architecture this encoder was built from (validated).</summary>
    public BertConfig Config { get; }
    /// <summary>Element type of every parameter.</summary>
    public DType DType { get; }
    /// <summary>The input layer: word + position + token type embeddings, LayerNorm, dropout (<c>embeddings</c>).</summary>
    public BertEmbeddings Embeddings { get; }
    /// <summary>The stack of transformer layers (<c>encoder</c>).</summary>
    public BertEncoder Encoder { get; }
    /// <summary>The tanh pooler of the [CLS] state (<c>pooler</c>), or null when the encoder was built without one.</summary>
    public BertPooler? Pooler { get; }

    /// <summary>
    /// <paramref name="inputIds"/> [B, S] (Int32/Int64); <paramref name="attentionMask"/> [B, S] with 1 for
    /// tokens and 0 for padding (null: no padding); <paramref name="tokenTypeIds"/> [B, S] or null (all 0).
    /// Hidden states at padding positions are computed but meaningless; every token's result is
    /// independent of how much padding follows it.
    /// </summary>
    public BertModelOutput Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? tokenTypeIds = null)
    {
        if (attentionMask is not null && attentionMask.Shape != inputIds.Shape)
            throw new ArgumentException($"BERT: attention mask {attentionMask.Shape} must have the input ids' shape {inputIds.Shape}");
        var additiveMask = attentionMask is null ? null : AttentionMask.ToAdditive(attentionMask, DType);
        var hidden = Encoder.Forward(Embeddings.Forward(inputIds, tokenTypeIds), additiveMask);
        return new BertModelOutput(hidden, Pooler?.Forward(hidden));
    }

    /// <summary>
    /// Reads <c>config.json</c> and <c>model.safetensors</c> from a Hugging Face folder. The pooler is
    /// built when <paramref name="withPooler"/> and the checkpoint has its weights. Every encoder weight
    /// must be present; checkpoint tensors the model does not use (a pretraining head, <c>position_ids</c>,
    /// an unwanted pooler) are listed in <paramref name="report"/>.
    /// </summary>
    public static BertModel FromPretrained(string folder, out WeightLoadReport report, DType dtype = DType.Float32, bool withPooler = true)
    {
        string configPath = BertWeights.ConfigPath(folder);
        var config = BertConfig.Load(configPath);
        string weightsPath = BertWeights.WeightsPath(folder);
        BertWeights.CheckFitsConfig(weightsPath, config, configPath);
        bool hasPooler = withPooler && BertWeights.ContainsAny(weightsPath, "pooler.dense.weight", "bert.pooler.dense.weight");
        var model = new BertModel(config, hasPooler, seed: 0, dtype);
        try
        {
            report = BertWeights.Load(model, weightsPath);
            report.ThrowIfMissing();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>As the overload with a <see cref="WeightLoadReport"/>, for callers that do not need the report.</summary>
    public static BertModel FromPretrained(string folder, DType dtype = DType.Float32, bool withPooler = true) => FromPretrained(folder, out _, dtype, withPooler);
}
