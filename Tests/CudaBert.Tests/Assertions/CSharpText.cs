using System.Text;

namespace CudaBert.Tests.Assertions;

/// <summary>
/// Just enough of C#'s lexical structure to tell comments from code: string and character literals
/// (regular, verbatim, interpolated with holes, raw) are skipped, so a "//" inside a string is not a comment.
/// </summary>
static class CSharpText
{
    public sealed record Comment(int Line, string Text, bool IsDocumentation);

    public static List<Comment> Comments(string text)
    {
        var comments = new List<Comment>();
        Walk(text, comment: (start, end) =>
        {
            string body = text[start..end];
            comments.Add(new Comment(1 + text.AsSpan(0, start).Count('\n'), body, body.StartsWith("///", StringComparison.Ordinal)));
        });
        return comments;
    }

    /// <summary>The text with every comment and string literal blanked out (newlines kept, so line numbers hold).</summary>
    public static string CodeOnly(string text)
    {
        var code = new StringBuilder(text);
        void Blank(int start, int end)
        {
            for (int i = start; i < end; i++)
                if (code[i] != '\n') code[i] = ' ';
        }
        Walk(text, comment: Blank, literal: Blank);
        return code.ToString();
    }

    /// <summary>The text between the parenthesis at <paramref name="open"/> and its match, in code with literals blanked.</summary>
    public static string Parenthesized(string code, int open)
    {
        int depth = 0;
        for (int i = open; i < code.Length; i++)
        {
            if (code[i] == '(') depth++;
            else if (code[i] == ')' && --depth == 0) return code[(open + 1)..i];
        }
        return code[(open + 1)..];
    }

    /// <summary>Reports each comment's and each literal's [start, end) span; <paramref name="literal"/> spans exclude interpolation holes.</summary>
    static void Walk(string text, Action<int, int> comment, Action<int, int>? literal = null)
    {
        int i = 0;
        while (i < text.Length)
            i = Step(text, i, comment, literal);
    }

    /// <summary>Consumes one token of code at <paramref name="i"/> (a comment, a literal or one character); returns where the next one starts.</summary>
    static int Step(string text, int i, Action<int, int> comment, Action<int, int>? literal)
    {
        char c = text[i];
        char next = i + 1 < text.Length ? text[i + 1] : '\0';
        if (c == '/' && next == '/')
        {
            int end = text.IndexOf('\n', i);
            if (end < 0) end = text.Length;
            comment(i, end);
            return end;
        }
        if (c == '/' && next == '*')
        {
            int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
            end = end < 0 ? text.Length : end + 2;
            comment(i, end);
            return end;
        }
        if (c == '\'')
        {
            int end = i + 1;
            while (end < text.Length && text[end] != '\'') end += text[end] == '\\' ? 2 : 1;
            literal?.Invoke(i, Math.Min(end + 1, text.Length));
            return end + 1;
        }
        int prefix = 0;
        bool interpolated = false, verbatim = false;
        while (i + prefix < text.Length && (text[i + prefix] == '$' || text[i + prefix] == '@'))
        {
            interpolated |= text[i + prefix] == '$';
            verbatim |= text[i + prefix] == '@';
            prefix++;
        }
        if (i + prefix < text.Length && text[i + prefix] == '"')
            return String(text, i, i + prefix, interpolated, verbatim, comment, literal);
        return i + 1;
    }

    /// <summary>A string literal whose opening quote is at <paramref name="quote"/>.</summary>
    static int String(string text, int start, int quote, bool interpolated, bool verbatim, Action<int, int> comment, Action<int, int>? literal)
    {
        int quotes = 0;
        while (quote + quotes < text.Length && text[quote + quotes] == '"') quotes++;
        bool raw = quotes >= 3;
        if (!raw && quotes == 2)
        {
            literal?.Invoke(start, quote + 2);
            return quote + 2;   // ""
        }
        int i = quote + (raw ? quotes : 1), segment = start;
        while (i < text.Length)
        {
            char c = text[i];
            if (raw && string.CompareOrdinal(text, i, new string('"', quotes), 0, quotes) == 0)
            {
                literal?.Invoke(segment, i + quotes);
                return i + quotes;
            }
            if (!raw && c == '"')
            {
                if (verbatim && i + 1 < text.Length && text[i + 1] == '"') { i += 2; continue; }
                literal?.Invoke(segment, i + 1);
                return i + 1;
            }
            if (!raw && !verbatim && c == '\\') { i += 2; continue; }
            if (!raw && !verbatim && c == '\n') { literal?.Invoke(segment, i); return i; }   // unterminated: stop at the line's end
            if (interpolated && c == '{')
            {
                if (i + 1 < text.Length && text[i + 1] == '{') { i += 2; continue; }
                literal?.Invoke(segment, i + 1);
                i = Hole(text, i + 1, comment, literal);
                segment = i;
                continue;
            }
            i++;
        }
        literal?.Invoke(segment, text.Length);
        return text.Length;
    }

    /// <summary>An interpolation hole's code, up to and including its closing brace.</summary>
    static int Hole(string text, int i, Action<int, int> comment, Action<int, int>? literal)
    {
        int depth = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '{') depth++;
            else if (c == '}')
            {
                if (depth == 0) return i + 1;
                depth--;
            }
            else if (c == '\n') return i;
            i = Step(text, i, comment, literal);
        }
        return i;
    }
}
