namespace CudaBert.Tokenizer;

/// <summary>
/// Encodings of a batch plus their tensor-friendly layout: row-major <c>[BatchSize, SequenceLength]</c>
/// int arrays, ready to copy into a model's input tensors. Rows shorter than the longest (no
/// padding asked) are filled with the padding id and attention 0.
/// </summary>
public sealed class BatchEncoding
{
    internal BatchEncoding(TokenEncoding[] encodings, int padId)
    {
        Encodings = encodings;
        BatchSize = encodings.Length;
        SequenceLength = encodings.Length == 0 ? 0 : encodings.Max(e => e.Length);
        InputIds = new int[BatchSize * SequenceLength];
        TypeIds = new int[BatchSize * SequenceLength];
        AttentionMask = new int[BatchSize * SequenceLength];
        InputIds.AsSpan().Fill(padId);
        for (int row = 0; row < BatchSize; row++)
        {
            var e = encodings[row];
            int at = row * SequenceLength;
            e.Ids.CopyTo(InputIds, at);
            e.TypeIds.CopyTo(TypeIds, at);
            e.AttentionMask.CopyTo(AttentionMask, at);
        }
    }

    /// <summary>One encoding per input, in order.</summary>
    public IReadOnlyList<TokenEncoding> Encodings { get; }

    /// <summary>Number of inputs, the rows of the id arrays.</summary>
    public int BatchSize { get; }

    /// <summary>Tokens per row: the longest encoding of the batch (after any padding), special tokens included.</summary>
    public int SequenceLength { get; }

    /// <summary>[BatchSize, SequenceLength] vocabulary ids.</summary>
    public int[] InputIds { get; }

    /// <summary>[BatchSize, SequenceLength] token type ids.</summary>
    public int[] TypeIds { get; }

    /// <summary>[BatchSize, SequenceLength] 1 for real tokens, 0 for padding.</summary>
    public int[] AttentionMask { get; }
}
