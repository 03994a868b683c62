namespace CudaBert.Tokenizer;

/// <summary>
/// A tokenized text (or pair of texts), one entry per token in every list, as Hugging Face's
/// <c>Encoding</c>. Word ids and sequence ids are -1 (<see cref="None"/>) where Hugging Face has
/// <c>None</c>: for special and padding tokens.
/// </summary>
public sealed class TokenEncoding
{
    /// <summary>The word id or sequence id of special and padding tokens.</summary>
    public const int None = -1;

    readonly Vocabulary vocabulary;

    internal TokenEncoding(Vocabulary vocabulary, int[] ids, int[] typeIds, int[] attentionMask, int[] specialTokensMask,
        int[] wordIds, int[] sequenceIds, TokenOffset[] offsets)
    {
        this.vocabulary = vocabulary;
        Ids = ids;
        TypeIds = typeIds;
        AttentionMask = attentionMask;
        SpecialTokensMask = specialTokensMask;
        WordIds = wordIds;
        SequenceIds = sequenceIds;
        Offsets = offsets;
    }

    /// <summary>Number of tokens, padding included.</summary>
    public int Length => Ids.Length;

    /// <summary>Vocabulary ids.</summary>
    public int[] Ids { get; }

    /// <summary>0 for the first text and its specials, 1 for the second text and its final [SEP].</summary>
    public int[] TypeIds { get; }

    /// <summary>1 for real tokens, 0 for padding.</summary>
    public int[] AttentionMask { get; }

    /// <summary>1 for tokens added by post-processing ([CLS], [SEP]) and padding, 0 for tokens of the text.</summary>
    public int[] SpecialTokensMask { get; }

    /// <summary>Index of the pre-tokenized word each token belongs to, counted per text; <see cref="None"/> for specials.</summary>
    public int[] WordIds { get; }

    /// <summary>0 or 1: which text a token came from; <see cref="None"/> for specials.</summary>
    public int[] SequenceIds { get; }

    /// <summary>UTF-16 [start, end) of each token in its text; (0, 0) for specials.</summary>
    public TokenOffset[] Offsets { get; }

    /// <summary>The token strings (the vocabulary's own strings: nothing is allocated per token).</summary>
    public IReadOnlyList<string> Tokens => [.. Ids.Select(id => vocabulary[id])];

    /// <summary>The token at <paramref name="index"/>.</summary>
    public string TokenAt(int index) => vocabulary[Ids[index]];
}
