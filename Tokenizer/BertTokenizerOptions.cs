namespace CudaBert.Tokenizer;

/// <summary>
/// The settings of a BERT WordPiece pipeline, named as in Hugging Face's <c>tokenizer.json</c>.
/// The defaults are <c>bert-base-uncased</c>; <see cref="Cased"/> is <c>bert-base-cased</c>.
/// </summary>
public sealed record BertTokenizerOptions
{
    /// <summary>Drop NUL, U+FFFD and control/format characters; turn whitespace into ' '.</summary>
    public bool CleanText { get; init; } = true;

    /// <summary>Make every CJK ideograph a word of its own.</summary>
    public bool HandleChineseCharacters { get; init; } = true;

    /// <summary>Lower-case every character (Rust's <c>char::to_lowercase</c>).</summary>
    public bool Lowercase { get; init; } = true;

    /// <summary>NFD then drop nonspacing marks; <c>null</c> follows <see cref="Lowercase"/>, as Hugging Face does.</summary>
    public bool? StripAccents { get; init; }

    /// <summary>The token for a word the vocabulary cannot spell.</summary>
    public string UnknownToken { get; init; } = "[UNK]";

    /// <summary>The prefix of a sub-word that continues a word.</summary>
    public string ContinuingSubwordPrefix { get; init; } = "##";

    /// <summary>Longer words (in Unicode scalar values) become <see cref="UnknownToken"/>.</summary>
    public int MaxInputCharsPerWord { get; init; } = 100;

    /// <summary>The token put before the first sequence.</summary>
    public string ClassifierToken { get; init; } = "[CLS]";

    /// <summary>The token put after each sequence.</summary>
    public string SeparatorToken { get; init; } = "[SEP]";

    /// <summary>The token used by padding.</summary>
    public string PaddingToken { get; init; } = "[PAD]";

    /// <summary>Tokens matched verbatim in the raw text before normalization (case-sensitive).</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary><c>bert-base-uncased</c>: lower-case and strip accents.</summary>
    public static BertTokenizerOptions Uncased { get; } = new();

    /// <summary><c>bert-base-cased</c>: keep case and accents.</summary>
    public static BertTokenizerOptions Cased { get; } = new() { Lowercase = false };

    internal bool StripsAccents => StripAccents ?? Lowercase;
}
