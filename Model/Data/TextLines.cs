using System.Text;

namespace CudaBert.Model.Data;

/// <summary>
/// Reads a text file as strict UTF-8 lines (a leading BOM is ignored, "\r\n" and "\n" both end a
/// line). Invalid UTF-8 is an error naming the file, the line and the byte offset — never silently
/// replaced by U+FFFD.
/// </summary>
static class TextLines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static List<string> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"data file not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        int start = bytes.AsSpan().StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        var lines = new List<string>();
        while (start < bytes.Length)
        {
            int newline = Array.IndexOf(bytes, (byte)'\n', start);
            int end = newline < 0 ? bytes.Length : newline;
            int contentEnd = end > start && bytes[end - 1] == '\r' ? end - 1 : end;
            try
            {
                lines.Add(Strict.GetString(bytes, start, contentEnd - start));
            }
            catch (DecoderFallbackException e)
            {
                long offset = start + Math.Max(0, e.Index);
                throw new DataFormatException(path, lines.Count + 1, $"invalid UTF-8 at byte offset {offset} (files must be UTF-8)");
            }
            start = end + 1;
        }
        return lines;
    }
}
