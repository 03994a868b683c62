using CudaBert.Engine.IO;

namespace CudaBert.Model.Embeddings;

/// <summary>
/// Writes a batch's encoder output as safetensors: <c>last_hidden_state</c> F32 [B, S, H] and
/// <c>attention_mask</c> I64 [B, S] (1 for tokens, 0 for padding), as Hugging Face names them.
/// </summary>
public static class HiddenStatesFile
{
    public const string LastHiddenState = "last_hidden_state";
    public const string AttentionMask = "attention_mask";

    public static void Save(string path, SentenceEmbeddingBatch batch)
    {
        var writer = new SafetensorsWriter();
        writer.Add(LastHiddenState, [batch.BatchSize, batch.SequenceLength, batch.HiddenSize], batch.LastHiddenState);
        writer.Add(AttentionMask, [batch.BatchSize, batch.SequenceLength], Array.ConvertAll(batch.AttentionMask, m => (long)m));
        writer.Save(path);
    }
}
