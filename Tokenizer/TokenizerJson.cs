using System.Text.Json;

namespace CudaBert.Tokenizer;

/// <summary>
/// Reads a Hugging Face <c>tokenizer.json</c> of a BERT WordPiece tokenizer: BertNormalizer,
/// BertPreTokenizer, WordPiece model, BERT post-processing (TemplateProcessing of the shape
/// <c>[CLS] $A [SEP]</c> / <c>[CLS] $A [SEP] $B:1 [SEP]:1</c>, or BertProcessing), WordPiece
/// decoder with cleanup, special added tokens, truncation and padding. Anything else is rejected
/// with the JSON path that holds it, rather than tokenized differently. Malformed input (invalid
/// UTF-8, a lone surrogate, a key twice in one object, a value of the wrong JSON kind, a padding or
/// truncation length beyond <see cref="MaxLength"/>) is a <see cref="TokenizerFormatException"/> too.
/// </summary>
public static class TokenizerJson
{
    /// <summary>The largest padding or truncation length accepted: far beyond any BERT's 512 positions, small enough that padding one text stays cheap.</summary>
    public const int MaxLength = 1 << 20;

    /// <summary>Loads a <c>tokenizer.json</c> file.</summary>
    public static BertTokenizer Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, path);
    }

    /// <summary>Loads <c>tokenizer.json</c> content; <paramref name="source"/> names it in errors.</summary>
    public static BertTokenizer Load(Stream stream, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException($"{source}: not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}");
        }
        catch (InvalidOperationException)   // the duplicate-key check decodes every key
        {
            throw new TokenizerFormatException($"{source}: a key is not valid Unicode (a lone surrogate or invalid UTF-8)");
        }
        using (document)
        {
            try
            {
                return new Reader(source).Read(document.RootElement);
            }
            catch (InvalidOperationException)   // GetString on text that is not valid Unicode: the kinds are checked before every read
            {
                throw new TokenizerFormatException($"{source}: a string is not valid Unicode (a lone surrogate or invalid UTF-8)");
            }
        }
    }

    sealed class Reader(string source)
    {
        TokenizerFormatException Error(string path, string message) => new($"{source}: {path}: {message}");

        /// <summary>The member <paramref name="name"/> of <paramref name="parent"/>, which must be an object; Undefined when absent.</summary>
        JsonElement Member(JsonElement parent, string path, string name)
        {
            if (parent.ValueKind != JsonValueKind.Object) throw Error(path, $"expected an object, found {parent.ValueKind}");
            return parent.TryGetProperty(name, out var value) ? value : default;
        }

        JsonElement Object(JsonElement parent, string path, string name)
        {
            var value = Member(parent, path, name);
            if (value.ValueKind != JsonValueKind.Object)
                throw Error($"{path}.{name}", value.ValueKind == JsonValueKind.Null || value.ValueKind == JsonValueKind.Undefined
                    ? "missing; a BERT WordPiece tokenizer needs it"
                    : $"expected an object, found {value.ValueKind}");
            return value;
        }

        string String(JsonElement parent, string path, string name, string? fallback = null)
        {
            var value = Member(parent, path, name);
            if (value.ValueKind == JsonValueKind.String) return value.GetString()!;
            if (fallback is not null && (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)) return fallback;
            throw Error($"{path}.{name}", $"expected a string, found {value.ValueKind}");
        }

        bool? Bool(JsonElement parent, string path, string name, bool? fallback)
        {
            var value = Member(parent, path, name);
            if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return fallback;
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Error($"{path}.{name}", $"expected true or false, found {value.ValueKind}"),
            };
        }

        int Int(JsonElement parent, string path, string name, int? fallback = null, int max = int.MaxValue)
        {
            var value = Member(parent, path, name);
            if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) && n >= 0)
                return n <= max ? n : throw Error($"{path}.{name}", $"{n} exceeds the limit of {max}");
            if (fallback is { } f && (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)) return f;
            throw Error($"{path}.{name}", $"expected a non-negative integer, found {value.ValueKind}");
        }

        void RequireType(JsonElement element, string path, params string[] allowed)
        {
            string type = String(element, path, "type");
            if (!allowed.Contains(type))
                throw Error($"{path}.type", $"'{type}' is not supported (supported: {string.Join(", ", allowed)}).");
        }

        public BertTokenizer Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object) throw Error("$", $"expected an object, found {root.ValueKind}");
            var normalizer = Object(root, "$", "normalizer");
            RequireType(normalizer, "$.normalizer", "BertNormalizer");
            var preTokenizer = Object(root, "$", "pre_tokenizer");
            RequireType(preTokenizer, "$.pre_tokenizer", "BertPreTokenizer");
            var model = Object(root, "$", "model");
            RequireType(model, "$.model", "WordPiece");

            var vocabElement = Object(model, "$.model", "vocab");
            var map = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var entry in vocabElement.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
                    throw Error($"$.model.vocab['{entry.Name}']", $"expected an integer id, found {entry.Value.ValueKind}");
                map[entry.Name] = id;
            }
            var vocabulary = Vocabulary.FromMap(map, $"{source}: $.model.vocab");

            var (specialTokens, specialPath) = ReadAddedTokens(root, vocabulary);
            var (cls, sep) = ReadPostProcessor(root);
            if (root.TryGetProperty("decoder", out var decoder) && decoder.ValueKind != JsonValueKind.Null)
            {
                RequireType(decoder, "$.decoder", "WordPiece");
                if (Bool(decoder, "$.decoder", "cleanup", true) != true)
                    throw Error("$.decoder.cleanup", "only cleanup = true is supported.");
                if (String(decoder, "$.decoder", "prefix", "##") != String(model, "$.model", "continuing_subword_prefix", "##"))
                    throw Error("$.decoder.prefix", "differs from $.model.continuing_subword_prefix.");
            }

            var padding = ReadPadding(root, out string padToken);
            var options = new BertTokenizerOptions
            {
                CleanText = Bool(normalizer, "$.normalizer", "clean_text", true)!.Value,
                HandleChineseCharacters = Bool(normalizer, "$.normalizer", "handle_chinese_chars", true)!.Value,
                StripAccents = Bool(normalizer, "$.normalizer", "strip_accents", null),
                Lowercase = Bool(normalizer, "$.normalizer", "lowercase", true)!.Value,
                UnknownToken = String(model, "$.model", "unk_token", "[UNK]"),
                ContinuingSubwordPrefix = String(model, "$.model", "continuing_subword_prefix", "##"),
                MaxInputCharsPerWord = Int(model, "$.model", "max_input_chars_per_word", 100),
                ClassifierToken = cls,
                SeparatorToken = sep,
                PaddingToken = padToken,
                SpecialTokens = specialTokens,
            };
            foreach (string token in specialTokens) CheckInVocabulary(vocabulary, token, specialPath);
            CheckInVocabulary(vocabulary, options.UnknownToken, "$.model.unk_token");
            CheckInVocabulary(vocabulary, cls, "$.post_processor");
            CheckInVocabulary(vocabulary, sep, "$.post_processor");
            if (padding is not null) CheckInVocabulary(vocabulary, padToken, "$.padding.pad_token");
            return new BertTokenizer(vocabulary, options) { Truncation = ReadTruncation(root), Padding = padding };
        }

        void CheckInVocabulary(Vocabulary vocabulary, string token, string path)
        {
            if (vocabulary.IdOf(token) < 0) throw Error(path, $"the token '{token}' is not in $.model.vocab.");
        }

        (List<string> Tokens, string Path) ReadAddedTokens(JsonElement root, Vocabulary vocabulary)
        {
            var tokens = new List<string>();
            if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind == JsonValueKind.Null) return (tokens, "$.added_tokens");
            if (added.ValueKind != JsonValueKind.Array) throw Error("$.added_tokens", $"expected an array, found {added.ValueKind}");
            int index = 0;
            foreach (var token in added.EnumerateArray())
            {
                string path = $"$.added_tokens[{index++}]";
                string content = String(token, path, "content");
                int id = Int(token, path, "id");
                if (vocabulary.IdOf(content) != id)
                    throw Error(path, $"'{content}' with id {id} is not that entry of $.model.vocab (tokens outside the vocabulary are not supported).");
                foreach (var flag in new[] { "single_word", "lstrip", "rstrip", "normalized" })
                    if (Bool(token, path, flag, false) == true)
                        throw Error($"{path}.{flag}", "only false is supported (special tokens are matched verbatim in the raw text).");
                if (Bool(token, path, "special", false) != true)
                    throw Error($"{path}.special", "only special added tokens are supported.");
                tokens.Add(content);
            }
            return (tokens, "$.added_tokens");
        }

        (string Cls, string Sep) ReadPostProcessor(JsonElement root)
        {
            const string path = "$.post_processor";
            var processor = Object(root, "$", "post_processor");
            RequireType(processor, path, "TemplateProcessing", "BertProcessing");
            if (String(processor, path, "type") == "BertProcessing")
            {
                string Token(string name) =>
                    Member(processor, path, name) is { ValueKind: JsonValueKind.Array } pair && pair.GetArrayLength() == 2 && pair[0].ValueKind == JsonValueKind.String
                        ? pair[0].GetString()!
                        : throw Error($"{path}.{name}", "expected [token, id].");
                return (Token("cls"), Token("sep"));
            }
            // TemplateProcessing: accept exactly the BERT shape, whatever the special tokens are called.
            string[] single = Template(processor, "single");
            string[] pair = Template(processor, "pair");
            bool bert = single.Length == 3 && pair.Length == 5
                && single[0].StartsWith("special ", StringComparison.Ordinal) && single[0].EndsWith(":0", StringComparison.Ordinal)
                && single[1] == "A:0"
                && single[2].StartsWith("special ", StringComparison.Ordinal) && single[2].EndsWith(":0", StringComparison.Ordinal)
                && pair[0] == single[0] && pair[1] == "A:0" && pair[2] == single[2] && pair[3] == "B:1" && pair[4] == single[2][..^2] + ":1";
            if (!bert)
                throw Error(path, $"only the BERT template is supported ([CLS] $A [SEP] / [CLS] $A [SEP] $B:1 [SEP]:1); found '{string.Join(' ', single)}' / '{string.Join(' ', pair)}'.");
            return (single[0]["special ".Length..^2], single[2]["special ".Length..^2]);
        }

        // A template as words: "special [CLS]:0", "A:0", ...
        string[] Template(JsonElement processor, string name)
        {
            string path = $"$.post_processor.{name}";
            var items = Member(processor, "$.post_processor", name);
            if (items.ValueKind != JsonValueKind.Array)
                throw Error(path, "expected an array.");
            return [.. items.EnumerateArray().Select((item, i) =>
            {
                if (item.ValueKind != JsonValueKind.Object) throw Error($"{path}[{i}]", $"expected an object, found {item.ValueKind}");
                if (item.TryGetProperty("SpecialToken", out var special))
                    return $"special {String(special, $"{path}[{i}].SpecialToken", "id")}:{Int(special, $"{path}[{i}].SpecialToken", "type_id")}";
                if (item.TryGetProperty("Sequence", out var sequence))
                    return $"{String(sequence, $"{path}[{i}].Sequence", "id")}:{Int(sequence, $"{path}[{i}].Sequence", "type_id")}";
                throw Error($"{path}[{i}]", "expected SpecialToken or Sequence.");
            })];
        }

        TruncationOptions? ReadTruncation(JsonElement root)
        {
            const string path = "$.truncation";
            var t = Member(root, "$", "truncation");
            if (t.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
            if (Int(t, path, "stride", 0) != 0) throw Error($"{path}.stride", "only 0 is supported.");
            return new TruncationOptions(Int(t, path, "max_length", max: MaxLength))
            {
                Strategy = String(t, path, "strategy", "LongestFirst") switch
                {
                    "LongestFirst" => TruncationStrategy.LongestFirst,
                    "OnlyFirst" => TruncationStrategy.OnlyFirst,
                    "OnlySecond" => TruncationStrategy.OnlySecond,
                    var other => throw Error($"{path}.strategy", $"'{other}' is not LongestFirst, OnlyFirst or OnlySecond."),
                },
                Side = ReadSide(t, path),
            };
        }

        PaddingOptions? ReadPadding(JsonElement root, out string padToken)
        {
            const string path = "$.padding";
            padToken = "[PAD]";
            var p = Member(root, "$", "padding");
            if (p.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null) return null;
            padToken = String(p, path, "pad_token", "[PAD]");
            int? length = null;
            if (Member(p, path, "strategy") is { ValueKind: JsonValueKind.Object } strategy)
                length = Int(strategy, $"{path}.strategy", "Fixed", max: MaxLength);
            else if (String(p, path, "strategy", "BatchLongest") != "BatchLongest")
                throw Error($"{path}.strategy", "expected \"BatchLongest\" or {\"Fixed\": n}.");
            return new PaddingOptions
            {
                Length = length,
                PadToMultipleOf = Int(p, path, "pad_to_multiple_of", 0, max: MaxLength),
                PadTypeId = Int(p, path, "pad_type_id", 0),
                Side = ReadSide(p, path),
            };
        }

        Side ReadSide(JsonElement element, string path) => String(element, path, "direction", "Right") switch
        {
            "Right" => Side.Right,
            "Left" => Side.Left,
            var other => throw Error($"{path}.direction", $"'{other}' is not Right or Left."),
        };
    }
}
