namespace CudaBert.Tokenizer;

/// <summary>
/// One pre-tokenized word being built: its normalized UTF-16 chars and, for each char, the
/// range [start, end) of the original-text chars it came from (so an accent-stripped "é" or a
/// decomposed Hangul syllable still points at the original character). Reused across words.
/// </summary>
internal sealed class WordBuffer
{
    char[] chars = new char[64];
    int[] originalStarts = new int[64];
    int[] originalEnds = new int[64];

    /// <summary>Length in UTF-16 chars.</summary>
    public int Length { get; private set; }

    /// <summary>Length in Unicode scalar values (what <c>max_input_chars_per_word</c> counts).</summary>
    public int ScalarCount { get; private set; }

    public ReadOnlySpan<char> Chars => chars.AsSpan(0, Length);

    /// <summary>How many chars fit before the buffers grow.</summary>
    public int Capacity => chars.Length;

    public int OriginalStart(int index) => originalStarts[index];

    public int OriginalEnd(int index) => originalEnds[index];

    public void Clear()
    {
        Length = 0;
        ScalarCount = 0;
    }

    /// <summary>Appends one normalized char that came from original chars [start, end).</summary>
    public void Append(char c, int start, int end)
    {
        if (Length == chars.Length) Grow();
        chars[Length] = c;
        originalStarts[Length] = start;
        originalEnds[Length] = end;
        Length++;
        if (!char.IsLowSurrogate(c)) ScalarCount++;
    }

    /// <summary>Appends ASCII chars that came from original chars <paramref name="start"/>.., one each, mapped through <paramref name="normalized"/>.</summary>
    public void AppendAscii(ReadOnlySpan<char> ascii, int start, ReadOnlySpan<char> normalized)
    {
        while (Length + ascii.Length > chars.Length) Grow();
        var targetChars = chars.AsSpan(Length, ascii.Length);
        var targetStarts = originalStarts.AsSpan(Length, ascii.Length);
        var targetEnds = originalEnds.AsSpan(Length, ascii.Length);
        for (int k = 0; k < ascii.Length; k++)
        {
            targetChars[k] = normalized[ascii[k]];
            targetStarts[k] = start + k;
            targetEnds[k] = start + k + 1;
        }
        Length += ascii.Length;
        ScalarCount += ascii.Length;
    }

    /// <summary>Appends one normalized code point (one or two UTF-16 chars).</summary>
    public void AppendCodePoint(int codePoint, int start, int end)
    {
        if (codePoint < 0x10000)
        {
            Append((char)codePoint, start, end);
            return;
        }
        int v = codePoint - 0x10000;
        Append((char)(0xD800 + (v >> 10)), start, end);
        Append((char)(0xDC00 + (v & 0x3FF)), start, end);
    }

    void Grow()
    {
        Array.Resize(ref chars, chars.Length * 2);
        Array.Resize(ref originalStarts, chars.Length);
        Array.Resize(ref originalEnds, chars.Length);
    }
}
