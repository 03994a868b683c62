namespace CudaBert.Tokenizer;

/// <summary>A labelled stretch of text: the words [FirstWord, LastWord] and their UTF-16 characters [Start, End).</summary>
public sealed record EntitySpan(string Label, int FirstWord, int LastWord, int Start, int End);

/// <summary>
/// The glue between word-level labels (NER / slot filling) and tokens. Words are those of
/// <see cref="BertTokenizer.EncodeWords"/>: the encoding's word ids index the input words.
/// </summary>
public static class TokenClassification
{
    /// <summary>The label that cross-entropy ignores (PyTorch's <c>ignore_index</c>).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>
    /// One label per token: the word's label on its first sub-token, <see cref="IgnoreIndex"/> on the
    /// other sub-tokens (or the word's label too, with <paramref name="labelEverySubToken"/>), on
    /// special and padding tokens, and on the second text of a pair.
    /// </summary>
    public static int[] AlignLabels(TokenEncoding encoding, IReadOnlyList<int> wordLabels, bool labelEverySubToken = false)
    {
        var labels = new int[encoding.Length];
        int previousWord = TokenEncoding.None;
        for (int i = 0; i < labels.Length; i++)
        {
            int word = encoding.SequenceIds[i] == 0 ? encoding.WordIds[i] : TokenEncoding.None;
            if (word >= wordLabels.Count)
                throw new ArgumentException($"Token {i} belongs to word {word}, but only {wordLabels.Count} word labels were given.", nameof(wordLabels));
            bool first = word != previousWord;
            labels[i] = word == TokenEncoding.None || !(first || labelEverySubToken) ? IgnoreIndex : wordLabels[word];
            previousWord = word;
        }
        return labels;
    }

    /// <summary>
    /// One prediction per word: the prediction of the word's first sub-token, or -1 for a word that
    /// has no token (truncated away, or made only of characters normalization drops).
    /// </summary>
    public static int[] WordPredictions(TokenEncoding encoding, IReadOnlyList<int> tokenPredictions, int wordCount)
    {
        if (tokenPredictions.Count != encoding.Length)
            throw new ArgumentException($"{tokenPredictions.Count} token predictions for an encoding of {encoding.Length} tokens.", nameof(tokenPredictions));
        int[] words = FirstTokens(encoding, wordCount);
        for (int w = 0; w < words.Length; w++)
            if (words[w] >= 0) words[w] = tokenPredictions[words[w]];
        return words;
    }

    /// <summary>
    /// The index of each word's first sub-token in the encoding (the token that carries the word's
    /// label), or -1 for a word that has no token.
    /// </summary>
    public static int[] FirstTokens(TokenEncoding encoding, int wordCount)
    {
        var words = new int[wordCount];
        Array.Fill(words, -1);
        for (int i = encoding.Length - 1; i >= 0; i--) // backwards, so the first sub-token writes last
        {
            int word = encoding.SequenceIds[i] == 0 ? encoding.WordIds[i] : TokenEncoding.None;
            if (word != TokenEncoding.None && word < wordCount) words[word] = i;
        }
        return words;
    }

    /// <summary>Each word's characters in the encoded text: from its first token's start to its last token's end; (0, 0) for a word without tokens.</summary>
    public static TokenOffset[] WordSpans(TokenEncoding encoding, int wordCount)
    {
        var spans = new TokenOffset[wordCount];
        for (int i = 0; i < encoding.Length; i++)
        {
            int word = encoding.SequenceIds[i] == 0 ? encoding.WordIds[i] : TokenEncoding.None;
            if (word == TokenEncoding.None || word >= wordCount) continue;
            var offset = encoding.Offsets[i];
            spans[word] = spans[word] == default ? offset : new TokenOffset(Math.Min(spans[word].Start, offset.Start), Math.Max(spans[word].End, offset.End));
        }
        return spans;
    }

    /// <summary>
    /// Entities from word tags in the BIO scheme ("B-city", "I-city", "O"), as seqeval reads them by
    /// default: an entity starts at B-X, or at I-X that does not continue an X; it ends before a tag
    /// that does not continue it. Words without a span are skipped.
    /// </summary>
    public static IReadOnlyList<EntitySpan> Entities(IReadOnlyList<string> wordTags, IReadOnlyList<TokenOffset> wordSpans)
    {
        if (wordTags.Count != wordSpans.Count)
            throw new ArgumentException($"{wordTags.Count} tags for {wordSpans.Count} word spans.", nameof(wordTags));
        var entities = new List<EntitySpan>();
        EntitySpan? open = null;
        for (int w = 0; w < wordTags.Count; w++)
        {
            string tag = wordTags[w];
            string? label = tag.Length > 2 && tag[1] == '-' && tag[0] is 'B' or 'I' ? tag[2..] : null;
            bool continues = open is not null && label == open.Label && tag[0] == 'I';
            if (!continues && open is not null)
            {
                entities.Add(open);
                open = null;
            }
            if (label is null || wordSpans[w] == default) continue;
            open = continues
                ? open! with { LastWord = w, End = wordSpans[w].End }
                : new EntitySpan(label, w, w, wordSpans[w].Start, wordSpans[w].End);
        }
        if (open is not null) entities.Add(open);
        return entities;
    }
}
