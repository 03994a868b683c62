using CudaBert.Engine;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Training;

/// <summary>
/// One padded batch for the two-task model. Shapes: B examples, S = the longest encoding in the
/// batch (dynamic padding). <see cref="SentenceLabels"/> is null when no example of the batch has a
/// sentence label, <see cref="TokenLabels"/> when no token carries a tag: that task then has no
/// loss at all for this batch. Both are decided on the host while collating, so nobody has to read
/// labels back from the device to find out. Inside a batch, an example without a task's labels carries −100 (ignored).
/// </summary>
public sealed class TwoTaskBatch : IDisposable
{
    /// <summary>The batch's examples, in row order.</summary>
    public required IReadOnlyList<TwoTaskExample> Examples { get; init; }
    /// <summary>Each example's token encoding (ids and word alignment, unpadded), in row order.</summary>
    public required IReadOnlyList<TokenEncoding> Encodings { get; init; }
    /// <summary>[B, S] Int32 token ids.</summary>
    public required Tensor InputIds { get; init; }
    /// <summary>[B, S] Int32 segment ids (all 0 for single sentences).</summary>
    public required Tensor TokenTypeIds { get; init; }
    /// <summary>[B, S] Float32: 1 for real tokens, 0 for padding.</summary>
    public required Tensor AttentionMask { get; init; }
    /// <summary>[B] sentence label ids (Int64 on the CPU, Int32 on CUDA: <see cref="BatchCollator.LabelDType"/>), −100 where an example has none; null if none has one.</summary>
    public Tensor? SentenceLabels { get; init; }
    /// <summary>[B, S] tag ids (dtype as <see cref="SentenceLabels"/>) on each word's first sub-token, −100 elsewhere; null if no example has tags.</summary>
    public Tensor? TokenLabels { get; init; }
    /// <summary>The same tags per word, for a CRF token head: one row per example with tags (see <see cref="WordTagTargets"/>); null exactly when <see cref="TokenLabels"/> is.</summary>
    public WordTagTargets? WordTags { get; init; }

    /// <summary>B: the number of examples.</summary>
    public int Count => Examples.Count;
    /// <summary>S: the padded length, the longest encoding in the batch.</summary>
    public int SequenceLength => InputIds.Shape[1];

    /// <summary>Frees the batch's tensors (and their device memory).</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        TokenTypeIds.Dispose();
        AttentionMask.Dispose();
        SentenceLabels?.Dispose();
        TokenLabels?.Dispose();
        WordTags?.Dispose();
    }
}
