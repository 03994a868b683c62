using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// BERT's input layer: word + absolute position + token type embeddings, summed, then LayerNorm
/// and dropout. Hugging Face names: <c>word_embeddings</c>, <c>position_embeddings</c>,
/// <c>token_type_embeddings</c>, <c>LayerNorm</c>.
/// </summary>
public sealed class BertEmbeddings : Module
{
    /// <summary>Freshly initialised embedding tables (~ N(0, 0.02²)) and LayerNorm (weight 1, bias 0).</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertEmbeddings(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        WordEmbeddings = RegisterModule("word_embeddings", new Embedding(config.VocabSize, config.HiddenSize, generator, dtype, BertInit.Instance));
        PositionEmbeddings = RegisterModule("position_embeddings", new Embedding(config.MaxPositionEmbeddings, config.HiddenSize, generator, dtype, BertInit.Instance));
        TokenTypeEmbeddings = RegisterModule("token_type_embeddings", new Embedding(config.TypeVocabSize, config.HiddenSize, generator, dtype, BertInit.Instance));
        LayerNorm = RegisterModule("LayerNorm", new LayerNorm(config.HiddenSize, config.LayerNormEps, dtype));
        Dropout = RegisterModule("dropout", new Dropout(config.HiddenDropoutProb, dropoutSeeds.Next()));
    }

    /// <summary>One row per vocabulary id: [<see cref="BertConfig.VocabSize"/>, hidden].</summary>
    public Embedding WordEmbeddings { get; }
    /// <summary>One learned row per absolute position: [<see cref="BertConfig.MaxPositionEmbeddings"/>, hidden], which bounds the sequence length.</summary>
    public Embedding PositionEmbeddings { get; }
    /// <summary>One row per segment (token type) id: [<see cref="BertConfig.TypeVocabSize"/>, hidden], usually 2 rows.</summary>
    public Embedding TokenTypeEmbeddings { get; }
    /// <summary>Normalises the summed embeddings over the hidden dimension.</summary>
    public LayerNorm LayerNorm { get; }
    /// <summary>Dropout after the LayerNorm (rate <see cref="BertConfig.HiddenDropoutProb"/>).</summary>
    public Dropout Dropout { get; }

    /// <summary>
    /// <paramref name="inputIds"/> [B, S] (Int32/Int64); <paramref name="tokenTypeIds"/> [B, S] or null
    /// for all zeros. Positions are 0 … S−1 in every row. Result [B, S, hidden].
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? tokenTypeIds)
    {
        if (inputIds.Rank != 2)
            throw new ArgumentException($"BERT embeddings: input ids {inputIds.Shape} must be [batch, seq]");
        int batch = inputIds.Shape[0], seq = inputIds.Shape[1];
        int maxPositions = PositionEmbeddings.Weight.Shape[0];
        if (seq > maxPositions)
            throw new ArgumentException($"BERT embeddings: sequence length {seq} exceeds max_position_embeddings {maxPositions}");
        if (tokenTypeIds is not null && tokenTypeIds.Shape != inputIds.Shape)
            throw new ArgumentException($"BERT embeddings: token type ids {tokenTypeIds.Shape} must have the input ids' shape {inputIds.Shape}");

        var positionIds = new int[batch * seq];
        for (int i = 0; i < positionIds.Length; i++) positionIds[i] = i % seq;
        var positions = Tensor.FromArray(positionIds, [batch, seq], inputIds.Device);
        var types = tokenTypeIds ?? Tensor.Zeros([batch, seq], DType.Int32, inputIds.Device);

        var words = WordEmbeddings.Forward(inputIds);
        var positionVectors = PositionEmbeddings.Forward(positions);
        var wordsAndPositions = words + positionVectors;
        var typeVectors = TokenTypeEmbeddings.Forward(types);
        var sum = wordsAndPositions + typeVectors;
        // Only the sum is saved (by the layer norm); lookups and additions read no values backward.
        words.ReleaseValues(); positionVectors.ReleaseValues(); wordsAndPositions.ReleaseValues(); typeVectors.ReleaseValues();
        var normalized = LayerNorm.Forward(sum);
        var dropped = Dropout.Forward(normalized);
        if (!ReferenceEquals(dropped, normalized)) normalized.ReleaseValues();   // dropout regenerates its mask backward
        return dropped;
    }
}
