using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>
/// The expected encodings written by tools/tokenizer-fixtures/generate.mjs (Hugging Face's Rust
/// tokenizer through its Node binding), and the comparison of ours against them.
/// </summary>
internal static class OracleFixtures
{
    static string Path(string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizer", file);

    /// <summary>The JSON objects of a .jsonl or .jsonl.gz fixture.</summary>
    public static IEnumerable<JsonObject> Read(string file)
    {
        using Stream raw = File.OpenRead(Path(file));
        using Stream stream = file.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(raw, CompressionMode.Decompress) : raw;
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return JsonNode.Parse(line)!.AsObject();
    }

    static readonly Dictionary<string, BertTokenizerOptions> configs = new()
    {
        ["uncased"] = BertTokenizerOptions.Uncased,
        ["cased"] = BertTokenizerOptions.Cased,
        ["lowercase-keep-accents"] = new BertTokenizerOptions { Lowercase = true, StripAccents = false },
    };

    public static BertTokenizer Tokenizer(JsonObject c, TruncationOptions? truncation = null, PaddingOptions? padding = null) =>
        new(MiniLmVocabulary.Shared, configs[(string)c["config"]!]) { Truncation = truncation, Padding = padding };

    public static TruncationOptions? Truncation(JsonNode? node) => node is null ? null : new((int)node["maxLength"]!)
    {
        Strategy = (string?)node["strategy"] switch
        {
            null or "LongestFirst" => TruncationStrategy.LongestFirst,
            "OnlyFirst" => TruncationStrategy.OnlyFirst,
            "OnlySecond" => TruncationStrategy.OnlySecond,
            var s => throw new InvalidDataException($"unknown strategy {s}"),
        },
        Side = (string?)node["direction"] == "left" ? Side.Left : Side.Right,
    };

    public static PaddingOptions Padding(JsonNode node) => new()
    {
        Length = (int?)node["maxLength"],
        PadToMultipleOf = (int?)node["padToMultipleOf"] ?? 0,
        Side = (string?)node["direction"] == "left" ? Side.Left : Side.Right,
    };

    /// <summary>
    /// Every difference between our encoding and the oracle's (<paramref name="expected"/> holds
    /// ids, type_ids, masks, word_ids, offsets and maybe tokens), described for a failure message.
    /// The oracle's offsets count Unicode scalar values; they are converted to UTF-16 with the texts.
    /// </summary>
    public static IEnumerable<string> Differences(string name, TokenEncoding actual, JsonObject expected, string text, string? pair, bool compareWordIds = true)
    {
        var sequenceIds = actual.SequenceIds;
        int[] Ints(string field) => [.. expected[field]!.AsArray().Select(n => n is null ? TokenEncoding.None : (int)n)];
        var offsets = expected["offsets"]!.AsArray().Select((o, i) =>
        {
            var source = sequenceIds.Length > i && sequenceIds[i] == 1 ? pair! : text;
            return new TokenOffset(Utf16Index(source, (int)o![0]!), Utf16Index(source, (int)o[1]!));
        }).ToArray();
        var fields = new (string Field, int[] Expected, int[] Actual)[]
        {
            ("ids", Ints("ids"), actual.Ids),
            ("type_ids", Ints("type_ids"), actual.TypeIds),
            ("attention_mask", Ints("attention_mask"), actual.AttentionMask),
            ("special_tokens_mask", Ints("special_tokens_mask"), actual.SpecialTokensMask),
            ("word_ids", Ints("word_ids"), actual.WordIds),
            ("offset starts", [.. offsets.Select(o => o.Start)], [.. actual.Offsets.Select(o => o.Start)]),
            ("offset ends", [.. offsets.Select(o => o.End)], [.. actual.Offsets.Select(o => o.End)]),
        };
        foreach (var (field, want, got) in fields)
        {
            if (field == "word_ids" && !compareWordIds) continue;
            if (want.AsSpan().SequenceEqual(got)) continue;
            int at = 0;
            while (at < want.Length && at < got.Length && want[at] == got[at]) at++;
            yield return $"{name}: {field} differ at token {at} (expected {want.Length} values, got {got.Length}): expected [{string.Join(',', want.Skip(Math.Max(0, at - 2)).Take(6))}], got [{string.Join(',', got.Skip(Math.Max(0, at - 2)).Take(6))}]; tokens {string.Join(' ', actual.Tokens.Skip(Math.Max(0, at - 2)).Take(6))}";
        }
        if (expected["tokens"] is JsonArray tokens && !tokens.Select(t => (string)t!).SequenceEqual(actual.Tokens))
            yield return $"{name}: tokens differ";
    }

    /// <summary>The UTF-16 index of the <paramref name="scalarIndex"/>-th Unicode scalar value of <paramref name="text"/>.</summary>
    public static int Utf16Index(string text, int scalarIndex)
    {
        int index = 0;
        for (int n = 0; n < scalarIndex && index < text.Length; n++)
            index += char.IsHighSurrogate(text[index]) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? 2 : 1;
        return index;
    }

    public static string Report(List<string> mismatches, int cases) =>
        $"{mismatches.Count} mismatches in {cases} cases:\n" + string.Join('\n', mismatches.Take(30));
}
