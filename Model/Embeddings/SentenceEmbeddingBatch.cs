namespace CudaBert.Model.Embeddings;

/// <summary>
/// The result of embedding one batch: an embedding per text, and the tensors it came from
/// (row-major, padded to the batch's longest text) for callers that want them.
/// </summary>
/// <param name="Embeddings">One vector of <paramref name="HiddenSize"/> per text.</param>
/// <param name="LastHiddenState">[BatchSize, SequenceLength, HiddenSize], padding positions included.</param>
/// <param name="AttentionMask">[BatchSize, SequenceLength], 1 for tokens, 0 for padding.</param>
/// <param name="BatchSize">B: the number of texts.</param>
/// <param name="SequenceLength">S: the padded length in tokens, the longest text's encoding.</param>
/// <param name="HiddenSize">H: the encoder's hidden size, the length of each embedding.</param>
public sealed record SentenceEmbeddingBatch(
    float[][] Embeddings,
    float[] LastHiddenState,
    int[] AttentionMask,
    int BatchSize,
    int SequenceLength,
    int HiddenSize);
