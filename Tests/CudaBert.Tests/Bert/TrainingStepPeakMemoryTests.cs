using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The peak of live bytes in a CPU training step of a small multi-task BERT (forward, backward, AdamW)
/// against a formula counted from the model's ops: the weights, their gradients and AdamW moments, the
/// tensors the backward rules save, and the backward pass's largest frontier. Nothing else may be alive
/// at the peak: a forward intermediate that no backward rule reads must be gone by then. The slack is
/// under one [B, S, hidden] tensor per layer, so a layer that keeps one more such tensor breaks the bound.
/// </summary>
[Collection(MemoryCollection.Name)]
public class TrainingStepPeakMemoryTests
{
    const int Batch = 8, Seq = 32, Hidden = 64, Heads = 4, Intermediate = 256, Layers = 4, Vocab = 100;
    const int SentenceLabels = 3, TokenLabels = 5;

    const long F = sizeof(float), Tokens = Batch * Seq;
    const long TokenVector = Tokens * Hidden * F;                         // [B, S, hidden]
    const long TokenWide = Tokens * Intermediate * F;                     // [B, S, intermediate]
    const long AttentionMap = (long)Batch * Heads * Seq * Seq * F;        // [B, heads, S, S]
    const long RowStatistics = 2 * Tokens * F;                            // a layer norm's mean and 1/σ per token

    /// <summary>
    /// What the backward rules of one encoder layer save: the split Q, K, V (the two attention products' inputs),
    /// the softmax output and its dropout (the second product's input), the merged context (the output
    /// projection's input), each fused dropout-residual-layer-norm's sum and statistics, the attention block's
    /// output (the intermediate's input), the intermediate's pre-activation z (its GELU, the output projection's
    /// input, is recomputed from z in the backward, not kept) and the layer's output (the next layer's or the heads' input).
    /// </summary>
    const long SavedPerLayer = 3 * TokenVector + 2 * AttentionMap + TokenVector + 2 * (TokenVector + RowStatistics)
        + TokenVector + TokenWide + TokenVector;

    /// <summary>The embeddings' layer norm input (the sum of the three lookups) and statistics, and its dropout's output.</summary>
    const long SavedByEmbeddings = TokenVector + RowStatistics + TokenVector;

    /// <summary>The token head's dropout of the last hidden state (the token classifier's input).</summary>
    const long SavedByHeads = TokenVector;

    /// <summary>
    /// Everything of a token's or a sentence's size, bounded together: position and type ids, the additive mask,
    /// the pooled sentence and its dropout, both heads' logits and cross-entropy's saved softmax (about 17 floats a token).
    /// </summary>
    const long Scalars = 24 * Tokens * F;

    /// <summary>
    /// The backward pass's peak beyond the saved tensors and the gradients: in the first layer's feed-forward rule
    /// (linear, GELU, linear as one op), its incoming gradient, the dx it returns and the gradient of the residual
    /// path waiting for the attention block (three [B, S, hidden]), and one [B, S, intermediate]: first the
    /// recomputed GELU(z) for dW2, freed before dz is made (GELU′ is applied in the input-gradient product, so the
    /// gradient of GELU's output is never a tensor). (Its weight gradients are counted with the others.)
    /// </summary>
    const long Frontier = TokenWide + 3 * TokenVector;

    static BertConfig Config() => new()
    {
        HiddenSize = Hidden, NumAttentionHeads = Heads, IntermediateSize = Intermediate, NumHiddenLayers = Layers,
        VocabSize = Vocab, MaxPositionEmbeddings = Seq,
    };

    /// <summary>
    /// The peak of live bytes in the second training step (the first makes the AdamW moments, as every later
    /// one finds them) beyond what was alive before the model existed, and the parameters' bytes.
    /// <paramref name="extraTokenVectors"/> [B, S, hidden] tensors are made in the step's scope after the forward.
    /// </summary>
    static (long Peak, long Parameters) MeasureStep(int extraTokenVectors = 0)
    {
        long before = MemoryStats.LiveBytes;
        using var model = new MultiTaskBert(Config(), SentenceLabels, TokenLabels, seed: 7);
        var optimizer = new AdamW(model.Parameters(), learningRate: 1e-4);
        var random = new System.Random(3);
        using var ids = Tensor.FromArray(Enumerable.Range(0, Batch * Seq).Select(_ => random.Next(1, Vocab)).ToArray(), [Batch, Seq]);
        // Sentence b has its last b tokens padded.
        using var mask = Tensor.FromArray(Enumerable.Range(0, Batch * Seq).Select(i => i % Seq < Seq - i / Seq ? 1 : 0).ToArray(), [Batch, Seq]);
        using var sentenceLabels = Tensor.FromArray(Enumerable.Range(0, Batch).Select(i => (long)(i % SentenceLabels)).ToArray(), [Batch]);
        using var tokenLabels = Tensor.FromArray(Enumerable.Range(0, Batch * Seq).Select(i => (long)(i % TokenLabels)).ToArray(), [Batch, Seq]);
        long peak = 0;
        for (int step = 0; step < 2; step++)
        {
            if (step == 1) MemoryStats.ResetPeak();
            using (var scope = Tensor.Scope())
            {
                var loss = model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total;
                for (int i = 0; i < extraTokenVectors; i++) Tensor.Empty([Batch, Seq, Hidden]);
                loss.Backward();
                optimizer.Step();
                optimizer.ZeroGrad();
            }
            if (step == 1) peak = MemoryStats.PeakLiveBytes - before;
        }
        return (peak, model.Parameters().Sum(p => p.ByteLength));
    }

    static long Bound(long parameters) =>
        4 * parameters                                                    // weights, gradients, AdamW's two moments
        + Layers * SavedPerLayer + SavedByEmbeddings + SavedByHeads + Scalars
        + Frontier;

    [Fact]
    public void TheStepPeakIsWithinTheFormula()
    {
        var (peak, parameters) = MeasureStep();
        long bound = Bound(parameters);
        Assert.True(peak <= bound, $"peak {peak:N0} bytes > formula {bound:N0} (parameters {parameters:N0}): something beyond the saved tensors is alive");
        // The formula is not loose: what it counts is what is there, up to the stated slack.
        Assert.True(peak > bound - Layers * TokenVector, $"peak {peak:N0} bytes is more than {Layers} [B, S, hidden] tensors under the formula's {bound:N0}");
    }

    [Fact]
    public void OneMoreTokenVectorPerLayerBreaksTheFormula()
    {
        var (peak, parameters) = MeasureStep(extraTokenVectors: Layers);
        Assert.True(peak > Bound(parameters), $"peak {peak:N0} with {Layers} extra [B, S, hidden] tensors alive is still within the formula {Bound(parameters):N0}");
    }
}
