using System.Text.Json;

namespace CudaBert.Model.Data;

/// <summary>
/// Reads JSON lines, one example per line: <c>{"text": "...", "label": "..."}</c> (sentence task),
/// <c>{"tokens": [...], "tags": [...]}</c> (token task), or both in one object. With both,
/// <c>tokens</c> define the words and <c>text</c> is ignored. Blank lines are skipped.
/// </summary>
public static class JsonLinesReader
{
    /// <summary>Reads every example of the JSON-lines file <paramref name="path"/>, in file order.</summary>
    /// <param name="path">The JSON-lines file to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped; null: <see cref="DataReadOptions.Strict"/>.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string path, DataReadOptions? options = null) =>
        Read(path, options ?? DataReadOptions.Strict, out _);

    /// <summary>Reads every example of the JSON-lines file <paramref name="path"/>, in file order, and reports the lines it skipped.</summary>
    /// <param name="path">The JSON-lines file to read.</param>
    /// <param name="options">Whether a bad line stops the read or is skipped (and listed in <paramref name="report"/>).</param>
    /// <param name="report">How many examples were read and which lines were skipped, with why.</param>
    /// <exception cref="DataFormatException">A malformed line while reading strictly; the message names the file and line.</exception>
    public static IReadOnlyList<TwoTaskExample> Read(string path, DataReadOptions options, out DataReadReport report)
    {
        var lines = TextLines.Read(path);
        report = new DataReadReport();
        var examples = new List<TwoTaskExample>();
        for (int i = 0; i < lines.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            try
            {
                examples.Add(Parse(lines[i], path, i + 1));
            }
            catch (DataFormatException e)
            {
                report.Fail(options, e);
            }
        }
        report.Examples = examples.Count;
        return examples;
    }

    static TwoTaskExample Parse(string json, string path, int line)
    {
        if (StrictJson.FindProblem(json) is { } problem) throw new DataFormatException(path, line, problem);
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(json);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, line, $"invalid JSON: {e.Message}");
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new DataFormatException(path, line, "expected a JSON object");

        string? label = OptionalString(root, "label", path, line);
        string[]? tokens = OptionalStrings(root, "tokens", path, line);
        string[]? tags = OptionalStrings(root, "tags", path, line);
        string? text = OptionalString(root, "text", path, line);

        if (tags is not null && tokens is null)
            throw new DataFormatException(path, line, "\"tags\" needs \"tokens\" (one tag per token)");
        if (tags is not null && tags.Length != tokens!.Length)
            throw new DataFormatException(path, line, $"{tags.Length} tags for {tokens.Length} tokens");
        string[] words = tokens ?? (text is null ? [] : JointBertReader.SplitWords(text));
        if (words.Length == 0)
            throw new DataFormatException(path, line, "no words: give a non-empty \"text\" or \"tokens\"");
        if (label is null && tags is null)
            throw new DataFormatException(path, line, "no labels: give \"label\", \"tags\" or both");
        return new TwoTaskExample(words, label, tags, path, line);
    }

    static string? OptionalString(JsonElement root, string name, string path, int line)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String)
            throw new DataFormatException(path, line, $"\"{name}\" must be a string");
        return value.GetString();
    }

    static string[]? OptionalStrings(JsonElement root, string name, string path, int line)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
            throw new DataFormatException(path, line, $"\"{name}\" must be an array of strings");
        return value.EnumerateArray().Select(e => e.GetString()!).ToArray();
    }
}
