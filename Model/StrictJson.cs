using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CudaBert.Model;

/// <summary>
/// Checks JSON text before any reader builds objects from it, for the problems System.Text.Json lets
/// through or reports with an exception of another type: a property name repeated in one object
/// (the later value would silently win, or a dictionary would throw), a string that is not valid
/// Unicode (a lone surrogate escape such as <c>"\ud800"</c>, which cannot be turned into a .NET string
/// or written back), and a number too large for a double (<c>1e999</c> reads as infinity).
/// </summary>
static class StrictJson
{
    /// <summary>
    /// The first problem in <paramref name="json"/>, or null when there is none. Malformed JSON is
    /// reported too; <paramref name="lenient"/> allows comments and trailing commas (hand-written config files).
    /// </summary>
    public static string? FindProblem(string json, bool lenient = false) => FindProblem(Encoding.UTF8.GetBytes(json), lenient);

    /// <inheritdoc cref="FindProblem(string, bool)"/>
    public static string? FindProblem(ReadOnlySpan<byte> utf8, bool lenient = false)
    {
        if (utf8.StartsWith("\uFEFF"u8)) utf8 = utf8[3..];
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
        {
            MaxDepth = 64,
            CommentHandling = lenient ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = lenient,
        });
        var namesPerObject = new Stack<HashSet<string>?>();   // null for an array level
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: namesPerObject.Push(new HashSet<string>(StringComparer.Ordinal)); break;
                    case JsonTokenType.StartArray: namesPerObject.Push(null); break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray: namesPerObject.Pop(); break;
                    case JsonTokenType.PropertyName:
                        string? name = Text(ref reader);
                        if (name is null) return At(reader, "a property name is not valid Unicode (a lone surrogate or invalid UTF-8)");
                        if (!namesPerObject.Peek()!.Add(name)) return At(reader, $"the key '{name}' appears twice in one object");
                        break;
                    case JsonTokenType.String:
                        if (Text(ref reader) is null) return At(reader, "a string is not valid Unicode (a lone surrogate or invalid UTF-8)");
                        break;
                    case JsonTokenType.Number:
                        if (!reader.TryGetDouble(out double value) || !double.IsFinite(value))
                            return At(reader, $"the number {Encoding.UTF8.GetString(reader.ValueSpan)} is out of range");
                        break;
                }
            }
            return null;
        }
        catch (JsonException e)
        {
            return $"invalid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1} of the line: {e.Message}";
        }
    }

    /// <summary>The token's text, or null when it does not decode to valid UTF-16.</summary>
    static string? Text(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    static string At(Utf8JsonReader reader, string problem) =>
        $"byte {reader.TokenStartIndex.ToString(CultureInfo.InvariantCulture)}: {problem}";
}
