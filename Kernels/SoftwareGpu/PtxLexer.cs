namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>A PTX token: a word (opcode, register, directive, number, label), a punctuation character or a string.</summary>
internal readonly record struct PtxToken(string Text, int Line, bool IsPunctuation)
{
    public bool Is(string s) => Text == s;
    public override string ToString() => Text;
}

/// <summary>A load-time error: the PTX could not be parsed or uses something the software GPU does not implement.</summary>
public sealed class PtxParseException(int line, string message) : Exception($"PTX line {line}: {message}")
{
    /// <summary>The 1-based line of the PTX text where the problem is.</summary>
    public int Line { get; } = line;
}

/// <summary>
/// Splits PTX text into tokens. Words are runs of <c>[A-Za-z0-9_.$%]</c> (so <c>ld.global.v4.f32</c>,
/// <c>%rd12</c>, <c>$L__BB0_3</c>, <c>0f3F800000</c> are single tokens; <c>::</c> inside a word is kept,
/// as in <c>.shared::cta</c>); comments are dropped; everything else is one punctuation token.
/// </summary>
internal static class PtxLexer
{
    public static List<PtxToken> Tokenize(string text)
    {
        var tokens = new List<PtxToken>();
        int line = 1, i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n') { line++; i++; continue; }
            if (char.IsWhiteSpace(c)) { i++; continue; }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n') i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0) throw new PtxParseException(line, "unterminated /* comment");
                for (int k = i; k < end; k++) if (text[k] == '\n') line++;
                i = end + 2;
                continue;
            }
            if (c == '"')
            {
                int end = text.IndexOf('"', i + 1);
                if (end < 0) throw new PtxParseException(line, "unterminated string");
                tokens.Add(new PtxToken(text[i..(end + 1)], line, false));
                i = end + 1;
                continue;
            }
            if (IsWordChar(c))
            {
                int start = i;
                while (i < text.Length && (IsWordChar(text[i]) || (text[i] == ':' && i + 1 < text.Length && text[i + 1] == ':' && i + 2 < text.Length && IsWordChar(text[i + 2]))))
                    i += text[i] == ':' ? 2 : 1;
                tokens.Add(new PtxToken(text[start..i], line, false));
                continue;
            }
            tokens.Add(new PtxToken(c.ToString(), line, true));
            i++;
        }
        return tokens;
    }

    static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '$' or '%';
}
