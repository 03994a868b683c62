using CudaBert.Engine.IO;

namespace CudaBert.Model.Embeddings;

/// <summary>
/// Writes a batch's encoder output as safetensors: <c>last_hidden_state</c> F32 [B, S, H] and
/// <c>attention_mask</c> I64 [B, S] (1 for tokens, 0 for padding), as Hugging Face names them.
/// </summary>
public static class HiddenStatesFile
{
    /// <summary>Tensor name of the encoder output, F32 [B, S, H].</summary>
    public const string LastHiddenState = "last_hidden_state";
    /// <summary>Tensor name of the padding mask, I64 [B, S].</summary>
    public const string AttentionMask = "attention_mask";

    /// <summary>Writes <paramref name="batch"/>'s hidden states and mask to the safetensors file <paramref name="path"/> (replaced if it exists).</summary>
    /// <exception cref="ArgumentException">The batch holds no hidden states (only <see cref="SentenceEmbedder.EmbedEncoded"/> keeps them).</exception>
    public static void Save(string path, SentenceEmbeddingBatch batch)
    {
        var writer = new SafetensorsWriter();
        writer.Add(LastHiddenState, [batch.BatchSize, batch.SequenceLength, batch.HiddenSize], batch.LastHiddenState);
        writer.Add(AttentionMask, [batch.BatchSize, batch.SequenceLength], Array.ConvertAll(batch.AttentionMask, m => (long)m));
        writer.Save(path);
    }
}
