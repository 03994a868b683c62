using System.Buffers;

namespace CudaBert.Tokenizer;

/// <summary>
/// Finds special tokens ("[MASK]", "[SEP]", ...) verbatim in the raw text, leftmost first and
/// longest at a position, as Hugging Face's added-vocabulary split does for tokens that are not
/// normalized. The text between matches is normalized and tokenized as usual.
/// </summary>
internal sealed class SpecialTokenMatcher
{
    readonly (string Text, int Id)[] tokensLongestFirst;
    readonly SearchValues<char> firstChars;

    public SpecialTokenMatcher(IEnumerable<(string Text, int Id)> tokens)
    {
        tokensLongestFirst = [.. tokens.Where(t => t.Text.Length > 0).OrderByDescending(t => t.Text.Length)];
        firstChars = SearchValues.Create([.. tokensLongestFirst.Select(t => t.Text[0]).Distinct()]);
    }

    /// <summary>
    /// The next special token at or after <paramref name="from"/>: its position, length and id,
    /// or position -1 when there is none.
    /// </summary>
    public (int Position, int Length, int Id) FindNext(ReadOnlySpan<char> text, int from)
    {
        while (from < text.Length)
        {
            int at = text[from..].IndexOfAny(firstChars);
            if (at < 0) break;
            at += from;
            foreach (var (token, id) in tokensLongestFirst)
                if (text[at..].StartsWith(token, StringComparison.Ordinal)) return (at, token.Length, id);
            from = at + 1;
        }
        return (-1, 0, -1);
    }
}
