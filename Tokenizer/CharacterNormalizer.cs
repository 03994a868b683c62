using CudaBert.Tokenizer.Unicode;

namespace CudaBert.Tokenizer;

/// <summary>What the pre-tokenizer does with a normalized character.</summary>
internal enum CharacterRole : byte
{
    /// <summary>Part of a word.</summary>
    Word,
    /// <summary>Ends the current word and is dropped.</summary>
    Whitespace,
    /// <summary>A word of its own.</summary>
    Punctuation,
    /// <summary>Removed by normalization.</summary>
    Dropped,
}

/// <summary>
/// BertNormalizer for one choice of options, one character at a time: clean text, then
/// strip accents, then lower-case. ASCII characters are precomputed into two small tables.
/// </summary>
internal sealed class CharacterNormalizer
{
    readonly CharacterTable table = CharacterTable.Shared;
    readonly BertTokenizerOptions options;
    readonly CharacterRole[] asciiRole = new CharacterRole[128];
    readonly char[] asciiNormalized = new char[128];

    public CharacterNormalizer(BertTokenizerOptions options)
    {
        this.options = options;
        Span<int> output = stackalloc int[MaxExpansion];
        for (int c = 0; c < 128; c++)
        {
            int n = Normalize(c, output, out _);
            if (n > 1) throw new InvalidOperationException($"ASCII U+{c:X4} normalizes to {n} characters.");
            asciiNormalized[c] = n == 0 ? '\0' : (char)output[0];
            asciiRole[c] = n == 0 ? CharacterRole.Dropped : RoleOf(output[0]);
        }
    }

    /// <summary>The most characters one input character becomes (NFD then full lower-casing).</summary>
    public const int MaxExpansion = 8;

    /// <summary>The pre-tokenizer role of an ASCII character after normalization.</summary>
    public CharacterRole AsciiRole(char c) => asciiRole[c];

    /// <summary>Every ASCII character after normalization, indexed by the character.</summary>
    public ReadOnlySpan<char> AsciiNormalizedTable => asciiNormalized;

    /// <summary>An ASCII character after normalization (for <see cref="CharacterRole.Word"/> characters).</summary>
    public char AsciiNormalized(char c) => asciiNormalized[c];

    /// <summary>How the pre-tokenizer treats a normalized code point.</summary>
    public CharacterRole RoleOf(int codePoint)
    {
        var cls = table[codePoint];
        if ((cls & CharacterClass.Whitespace) != 0) return CharacterRole.Whitespace;
        return (cls & CharacterClass.Punctuation) != 0 ? CharacterRole.Punctuation : CharacterRole.Word;
    }

    /// <summary>
    /// Normalizes one code point into <paramref name="output"/> and returns how many code points it
    /// became (0: dropped). <paramref name="isolated"/> says it is a CJK ideograph, a word of its own.
    /// </summary>
    public int Normalize(int codePoint, Span<int> output, out bool isolated)
    {
        var cls = table[codePoint];
        isolated = false;
        if (options.CleanText)
        {
            if ((cls & CharacterClass.Dropped) != 0) return 0;
            if ((cls & CharacterClass.SpaceLike) != 0)
            {
                output[0] = ' ';
                return 1;
            }
        }
        isolated = options.HandleChineseCharacters && (cls & CharacterClass.Chinese) != 0;

        Span<int> scratch = stackalloc int[MaxExpansion];
        scratch[0] = codePoint;
        ReadOnlySpan<int> stripped = scratch[..1];
        if (options.StripsAccents && (cls & (CharacterClass.Mark | CharacterClass.Decomposes)) != 0)
            stripped = table.StripAccents(codePoint, scratch);
        if (!options.Lowercase)
        {
            stripped.CopyTo(output);
            return stripped.Length;
        }
        int n = 0;
        Span<int> one = stackalloc int[1];
        foreach (int cp in stripped)
        {
            if ((table[cp] & CharacterClass.HasLowercase) == 0)
            {
                output[n++] = cp;
                continue;
            }
            var lowered = table.Lowercase(cp, one);
            lowered.CopyTo(output[n..]);
            n += lowered.Length;
        }
        return n;
    }
}
