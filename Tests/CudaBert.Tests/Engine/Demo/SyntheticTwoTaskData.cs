using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine.Demo;

/// <summary>
/// One padded batch of the synthetic two-task data, as <see cref="Model.Bert.MultiTaskBert"/> takes it: Int32 ids,
/// a float 1/0 attention mask, Int64 labels; the caller owns (disposes) the tensors.
/// </summary>
public sealed record TwoTaskBatch(Tensor Ids, Tensor AttentionMask, Tensor SentenceLabels, Tensor TokenLabels) : IDisposable
{
    public void Dispose()
    {
        Ids.Dispose();
        AttentionMask.Dispose();
        SentenceLabels.Dispose();
        TokenLabels.Dispose();
    }
}

/// <summary>
/// A generated dataset small enough to learn in seconds, shaped like intent + slot data.
/// Token 0 is padding; words 1–7 are "A" entities (tag 1), 8–14 "B" entities (tag 2), 15–23
/// filler (tag 0). A sentence's label says which entity kind it mentions more: 0 = A, 1 = B,
/// 2 = as many of each. Token tags are a per-word lookup; the sentence label needs the pooled
/// sequence, so both heads have something to learn.
/// </summary>
public sealed class SyntheticTwoTaskData(ulong seed, int maxLength = 8)
{
    public const int VocabularySize = 24, SentenceClasses = 3, TokenClasses = 3, IgnoreIndex = -100;

    private readonly Generator generator = new(seed);

    public int MaxLength { get; } = maxLength;

    public static int TagOf(int word) => word switch { >= 1 and <= 7 => 1, >= 8 and <= 14 => 2, _ => 0 };

    public TwoTaskBatch NextBatch(int batchSize)
    {
        var ids = new int[batchSize * MaxLength];
        var mask = new float[batchSize * MaxLength];
        var tokenLabels = new long[batchSize * MaxLength];
        var sentenceLabels = new long[batchSize];
        for (int b = 0; b < batchSize; b++)
        {
            int length = 3 + generator.NextInt(MaxLength - 2);
            int a = 0, bCount = 0;
            for (int s = 0; s < MaxLength; s++)
            {
                int i = b * MaxLength + s;
                if (s >= length)
                {
                    tokenLabels[i] = IgnoreIndex;      // padding carries no token label (and its mask is 0: no attention)
                    continue;
                }
                int word = 1 + generator.NextInt(VocabularySize - 1);
                ids[i] = word;
                mask[i] = 1;
                tokenLabels[i] = TagOf(word);
                if (TagOf(word) == 1) a++;
                if (TagOf(word) == 2) bCount++;
            }
            sentenceLabels[b] = a > bCount ? 0 : bCount > a ? 1 : 2;
        }
        return new TwoTaskBatch(
            Tensor.FromArray(ids, [batchSize, MaxLength]),
            Tensor.FromArray(mask, [batchSize, MaxLength]),
            Tensor.FromArray(sentenceLabels, [batchSize]),
            Tensor.FromArray(tokenLabels, [batchSize, MaxLength]));
    }
}
