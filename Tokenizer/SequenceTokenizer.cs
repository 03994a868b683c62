using System.Text;

namespace CudaBert.Tokenizer;

/// <summary>
/// One text → tokens, the way Hugging Face runs a BERT pipeline: special tokens are cut out of the
/// raw text first; the rest is normalized character by character (<see cref="CharacterNormalizer"/>),
/// split into words on whitespace and punctuation, and each word is split by <see cref="WordPiece"/>.
/// Offsets are UTF-16 indices into the text; a lone surrogate is read as U+FFFD, as a UTF-8
/// encoder would write it.
/// </summary>
internal sealed class SequenceTokenizer(CharacterNormalizer normalizer, SpecialTokenMatcher specials, WordPiece wordPiece)
{
    [ThreadStatic] static WordBuffer? threadWord;

    /// <summary>Per-thread buffers grown past this (by a huge input) are dropped rather than kept for the thread's life.</summary>
    public const int MaxRetainedCapacity = 1 << 16;

    public void Tokenize(ReadOnlySpan<char> text, TokenList output)
    {
        var word = threadWord ??= new WordBuffer();
        word.Clear();
        int wordIndex = 0;
        int from = 0;
        while (from <= text.Length)
        {
            var (position, length, id) = specials.FindNext(text, from);
            int segmentEnd = position < 0 ? text.Length : position;
            TokenizeSegment(text, from, segmentEnd, word, ref wordIndex, output);
            if (position < 0) break;
            output.Add(id, position, position + length, wordIndex++);
            from = position + length;
        }
        if (word.Capacity > MaxRetainedCapacity) threadWord = null;
    }

    void TokenizeSegment(ReadOnlySpan<char> text, int from, int to, WordBuffer word, ref int wordIndex, TokenList output)
    {
        Span<int> normalized = stackalloc int[CharacterNormalizer.MaxExpansion];
        for (int i = from; i < to;)
        {
            char c = text[i];
            if (c < 128)
            {
                switch (normalizer.AsciiRole(c))
                {
                    case CharacterRole.Word:
                        // The common case: a run of ASCII word characters, copied in one go.
                        int run = i + 1;
                        while (run < to && text[run] < 128 && normalizer.AsciiRole(text[run]) == CharacterRole.Word) run++;
                        word.AppendAscii(text[i..run], i, normalizer.AsciiNormalizedTable);
                        i = run;
                        continue;
                    case CharacterRole.Whitespace:
                        EndWord(word, ref wordIndex, output);
                        break;
                    case CharacterRole.Punctuation:
                        EndWord(word, ref wordIndex, output);
                        word.Append(normalizer.AsciiNormalized(c), i, i + 1);
                        EndWord(word, ref wordIndex, output);
                        break;
                }
                i++;
                continue;
            }

            int width = 1;
            int codePoint = c;
            if (char.IsHighSurrogate(c) && i + 1 < to && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(c, text[i + 1]);
                width = 2;
            }
            else if (char.IsSurrogate(c))
            {
                codePoint = Rune.ReplacementChar.Value;
            }
            int n = normalizer.Normalize(codePoint, normalized, out bool isolated);
            if (isolated) EndWord(word, ref wordIndex, output);
            foreach (int cp in normalized[..n])
            {
                switch (normalizer.RoleOf(cp))
                {
                    case CharacterRole.Word:
                        word.AppendCodePoint(cp, i, i + width);
                        break;
                    case CharacterRole.Whitespace:
                        EndWord(word, ref wordIndex, output);
                        break;
                    case CharacterRole.Punctuation:
                        EndWord(word, ref wordIndex, output);
                        word.AppendCodePoint(cp, i, i + width);
                        EndWord(word, ref wordIndex, output);
                        break;
                }
            }
            if (isolated) EndWord(word, ref wordIndex, output);
            i += width;
        }
        EndWord(word, ref wordIndex, output);
    }

    void EndWord(WordBuffer word, ref int wordIndex, TokenList output)
    {
        if (word.Length == 0) return;
        wordPiece.Tokenize(word, wordIndex++, output);
        word.Clear();
    }
}
