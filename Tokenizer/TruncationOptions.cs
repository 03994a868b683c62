namespace CudaBert.Tokenizer;

/// <summary>Which text of a pair loses tokens when the pair is too long.</summary>
public enum TruncationStrategy
{
    /// <summary>Take from the longer text first (Hugging Face's <c>longest_first</c>).</summary>
    LongestFirst,
    /// <summary>Take only from the first text.</summary>
    OnlyFirst,
    /// <summary>Take only from the second text.</summary>
    OnlySecond,
}

/// <summary>Which end of a sequence is cut or padded.</summary>
public enum Side
{
    /// <summary>The end: truncation drops the last tokens, padding is appended.</summary>
    Right,
    /// <summary>The start: truncation drops the first tokens, padding is prepended.</summary>
    Left,
}

/// <summary>Cut encodings to at most <paramref name="MaxLength"/> tokens, special tokens included.</summary>
/// <param name="MaxLength">The longest encoding allowed, in tokens, [CLS] and [SEP] included.</param>
public sealed record TruncationOptions(int MaxLength)
{
    /// <summary>Which text of a pair loses tokens (default: the longer one first).</summary>
    public TruncationStrategy Strategy { get; init; } = TruncationStrategy.LongestFirst;

    /// <summary>Where tokens are removed.</summary>
    public Side Side { get; init; } = Side.Right;
}

/// <summary>Pad encodings with the padding token (attention mask 0, special-tokens mask 1).</summary>
public sealed record PaddingOptions
{
    /// <summary>Pad to this length; <c>null</c> pads a batch to its longest encoding.</summary>
    public int? Length { get; init; }

    /// <summary>Round the padded length up to a multiple of this (0: no rounding).</summary>
    public int PadToMultipleOf { get; init; }

    /// <summary>Where padding goes.</summary>
    public Side Side { get; init; } = Side.Right;

    /// <summary>The type id of padding tokens.</summary>
    public int PadTypeId { get; init; }

    /// <summary>Pad a batch to its longest encoding.</summary>
    public static PaddingOptions Longest { get; } = new();

    /// <summary>Pad to a fixed length.</summary>
    public static PaddingOptions Fixed(int length) => new() { Length = length };
}
