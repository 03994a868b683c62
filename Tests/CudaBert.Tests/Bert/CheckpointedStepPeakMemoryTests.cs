using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The peak of live bytes in a CPU training step of a small multi-task BERT with gradient checkpointing, against a
/// formula counted from the model's ops: the weights, their gradients and AdamW moments, what the embeddings and the
/// heads save, each encoder layer's input and nothing else of it, then — in the backward pass — one layer's
/// recomputed saved set, the parameter gradients its node has finished and not yet returned, and the pass's frontier.
/// The slack is under one [B, S, hidden] tensor per layer, so a layer that keeps one more such tensor breaks it.
/// </summary>
[Collection(MemoryCollection.Name)]
public class CheckpointedStepPeakMemoryTests
{
    const int Batch = 8, Seq = 32, Hidden = 64, Heads = 4, Intermediate = 256, Layers = 4, Vocab = 100;
    const int SentenceLabels = 3, TokenLabels = 5;

    const long F = sizeof(float), Tokens = Batch * Seq;
    const long TokenVector = Tokens * Hidden * F;                         // [B, S, hidden]
    const long TokenWide = Tokens * Intermediate * F;                     // [B, S, intermediate]
    const long AttentionMap = (long)Batch * Heads * Seq * Seq * F;        // [B, heads, S, S]
    const long RowStatistics = 2 * Tokens * F;                            // a layer norm's mean and 1/σ per token

    /// <summary>
    /// What the backward rules of one encoder layer save, all of it made again by the recomputation: the split Q, K, V,
    /// the softmax output and its dropout, the merged context, each fused dropout-residual-layer-norm's sum and
    /// statistics, the attention block's output, the intermediate's pre-activation (its GELU is recomputed from it when
    /// the feed-forward rule runs), and the recomputed output.
    /// </summary>
    const long RecomputedLayer = 3 * TokenVector + 2 * AttentionMap + TokenVector + 2 * (TokenVector + RowStatistics)
        + TokenVector + TokenWide + TokenVector;

    /// <summary>What the checkpointed forward keeps of a layer: its output (the next layer's input, or the heads').</summary>
    const long KeptPerLayer = TokenVector;

    /// <summary>The embeddings' layer norm input and statistics, and its dropout's output (the first layer's input).</summary>
    const long SavedByEmbeddings = TokenVector + RowStatistics + TokenVector;

    /// <summary>The token head's dropout of the last hidden state (the token classifier's input).</summary>
    const long SavedByHeads = TokenVector;

    /// <summary>Everything of a token's or a sentence's size, bounded together (ids, mask, pooled sentence, logits, saved softmax).</summary>
    const long Scalars = 24 * Tokens * F;

    /// <summary>
    /// The gradients a recomputed layer's node holds when its feed-forward rule runs: those of the feed-forward output
    /// projection and its layer norm, done first and returned with the others when the node's backward ends (the plain
    /// pass adds each to its parameter's gradient at once).
    /// </summary>
    const long FinishedGradients = (Intermediate * Hidden + Hidden + 2 * Hidden) * F;

    /// <summary>
    /// The backward pass's peak beyond the saved tensors and the gradients, in a recomputed layer's feed-forward rule: its
    /// incoming gradient, the dx it returns and the residual path's gradient (three [B, S, hidden]), and one
    /// [B, S, intermediate] (the GELU recomputed for dW2, then dz), as in <see cref="TrainingStepPeakMemoryTests"/>.
    /// </summary>
    const long Frontier = TokenWide + 3 * TokenVector;

    static BertConfig Config() => new()
    {
        HiddenSize = Hidden, NumAttentionHeads = Heads, IntermediateSize = Intermediate, NumHiddenLayers = Layers,
        VocabSize = Vocab, MaxPositionEmbeddings = Seq,
    };

    /// <summary>
    /// The peak of live bytes in the second training step beyond what was alive before the model existed, and the
    /// parameters' bytes. <paramref name="extraTokenVectors"/> [B, S, hidden] tensors are made
    /// in the step's scope after the forward.
    /// </summary>
    static (long Peak, long Parameters) MeasureStep(bool checkpointing, int extraTokenVectors = 0)
    {
        long before = MemoryStats.LiveBytes;
        using var model = new MultiTaskBert(Config(), SentenceLabels, TokenLabels, seed: 7) { GradientCheckpointing = checkpointing };
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
        + SavedByEmbeddings + Layers * KeptPerLayer + SavedByHeads + Scalars
        + RecomputedLayer + FinishedGradients                             // the layer being recomputed
        + Frontier;

    [Fact]
    public void TheCheckpointedStepPeakIsWithinTheFormula()
    {
        var (peak, parameters) = MeasureStep(checkpointing: true);
        long bound = Bound(parameters);
        Assert.True(peak <= bound, $"peak {peak:N0} bytes > formula {bound:N0} (parameters {parameters:N0}): something beyond each layer's input is alive");
        // The formula is not loose: what it counts is what is there, up to the stated slack.
        Assert.True(peak > bound - Layers * TokenVector, $"peak {peak:N0} bytes is more than {Layers} [B, S, hidden] tensors under the formula's {bound:N0}");
    }

    [Fact]
    public void OneMoreTokenVectorPerLayerBreaksTheFormula()
    {
        var (peak, parameters) = MeasureStep(checkpointing: true, extraTokenVectors: Layers);
        Assert.True(peak > Bound(parameters), $"peak {peak:N0} with {Layers} extra [B, S, hidden] tensors alive is still within the formula {Bound(parameters):N0}");
    }

    [Fact]
    public void CheckpointingSavesWhatTheLayersWouldKeep()
    {
        var (plain, _) = MeasureStep(checkpointing: false);
        var (checkpointed, _) = MeasureStep(checkpointing: true);
        // Without it every layer's saved set is alive at the peak; with it one layer's, plus the gradients its node holds.
        long saved = (Layers - 1) * RecomputedLayer - FinishedGradients;
        Assert.True(plain - checkpointed >= saved - Layers * TokenVector,
            $"plain step peak {plain:N0}, checkpointed {checkpointed:N0}: saves {plain - checkpointed:N0} bytes, expected about {saved:N0}");
    }
}
