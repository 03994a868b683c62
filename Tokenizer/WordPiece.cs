namespace CudaBert.Tokenizer;

/// <summary>
/// The WordPiece model: split a word greedily into the longest vocabulary entries, left to
/// right; pieces after the first are looked up with the continuing prefix ("##"). A word that
/// cannot be spelled, or is longer than <c>max_input_chars_per_word</c>, becomes one unknown token.
/// </summary>
internal sealed class WordPiece
{
    readonly int unknownId;
    readonly int maxInputCharsPerWord;
    // Word starts keyed by their text; continuing pieces keyed without their prefix, so a lookup
    // needs no concatenation.
    readonly SpanTokenTable starting, continuing;
    // No key is longer than these (UTF-16 chars): the search starts there instead of at the word's end.
    readonly int longestStart, longestContinuing;

    public WordPiece(Vocabulary vocabulary, BertTokenizerOptions options)
    {
        unknownId = vocabulary.RequireId(options.UnknownToken, "unknown token");
        maxInputCharsPerWord = options.MaxInputCharsPerWord;
        string prefix = options.ContinuingSubwordPrefix;
        var startingIds = new Dictionary<string, int>(StringComparer.Ordinal);
        var continuingIds = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < vocabulary.Count; id++)
        {
            string token = vocabulary[id];
            if (vocabulary.IdOf(token) != id) continue; // a repeated token keeps its last id
            startingIds[token] = id;
            longestStart = Math.Max(longestStart, token.Length);
            if (token.StartsWith(prefix, StringComparison.Ordinal))
            {
                continuingIds[token[prefix.Length..]] = id;
                longestContinuing = Math.Max(longestContinuing, token.Length - prefix.Length);
            }
        }
        starting = new SpanTokenTable(startingIds);
        continuing = new SpanTokenTable(continuingIds);
    }

    /// <summary>Appends the pieces of <paramref name="word"/> to <paramref name="output"/>, all with word index <paramref name="wordIndex"/>.</summary>
    public void Tokenize(WordBuffer word, int wordIndex, TokenList output)
    {
        var chars = word.Chars;
        if (word.ScalarCount > maxInputCharsPerWord)
        {
            output.Add(unknownId, word.OriginalStart(0), word.OriginalEnd(chars.Length - 1), wordIndex);
            return;
        }
        int firstPiece = output.Count;
        for (int start = 0; start < chars.Length;)
        {
            int longest = start == 0 ? longestStart : longestContinuing;
            int end = Math.Min(chars.Length, start + longest);
            if (end < chars.Length && char.IsLowSurrogate(chars[end])) end--; // never split a surrogate pair
            int id = -1;
            while (end > start)
            {
                var piece = chars[start..end];
                id = start == 0 ? starting.IdOf(piece) : continuing.IdOf(piece);
                if (id >= 0) break;
                end -= end - 2 >= start && char.IsLowSurrogate(chars[end - 1]) ? 2 : 1;
            }
            if (id < 0)
            {
                output.Truncate(firstPiece);
                output.Add(unknownId, word.OriginalStart(0), word.OriginalEnd(chars.Length - 1), wordIndex);
                return;
            }
            output.Add(id, word.OriginalStart(start), word.OriginalEnd(end - 1), wordIndex);
            start = end;
        }
    }
}
