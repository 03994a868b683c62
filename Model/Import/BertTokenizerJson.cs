using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CudaBert.Model.Import;

/// <summary>
/// Builds a Hugging Face <c>tokenizer.json</c> for the uncased BERT pipeline from a WordPiece vocabulary:
/// BertNormalizer (clean text, CJK characters split out, accents stripped, lowercase), BertPreTokenizer
/// (whitespace and punctuation), WordPiece ("##" continuation prefix, unknown token "[UNK]", words
/// longer than 100 characters become "[UNK]"), TemplateProcessing "[CLS] $A [SEP]" and
/// "[CLS] $A [SEP] $B:1 [SEP]:1" (the second segment gets token type 1), the WordPiece decoder, and
/// the five special tokens as added tokens. Keys are written in the order Hugging Face writes them.
/// </summary>
public static class BertTokenizerJson
{
    /// <summary>The special tokens of the BERT vocabulary, which must all be in it.</summary>
    public static readonly IReadOnlyList<string> SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

    /// <summary>Builds the JSON text; <paramref name="vocabulary"/> is vocab.txt's lines, the line index being the id.</summary>
    /// <exception cref="InvalidDataException">A token appears twice or a special token is missing.</exception>
    public static string Build(IReadOnlyList<string> vocabulary)
    {
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int id = 0; id < vocabulary.Count; id++)
            if (!ids.TryAdd(vocabulary[id], id))
                throw new InvalidDataException($"vocabulary: token '{vocabulary[id]}' appears on lines {ids[vocabulary[id]] + 1} and {id + 1}");
        foreach (string special in SpecialTokens)
            if (!ids.ContainsKey(special))
                throw new InvalidDataException($"vocabulary: the special token '{special}' is missing");

        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");

            json.WriteStartArray("added_tokens");
            foreach (string special in SpecialTokens)
            {
                json.WriteStartObject();
                json.WriteNumber("id", ids[special]);
                json.WriteString("content", special);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();

            json.WriteStartObject("normalizer");
            json.WriteString("type", "BertNormalizer");
            json.WriteBoolean("clean_text", true);
            json.WriteBoolean("handle_chinese_chars", true);
            json.WriteBoolean("strip_accents", true);
            json.WriteBoolean("lowercase", true);
            json.WriteEndObject();

            json.WriteStartObject("pre_tokenizer");
            json.WriteString("type", "BertPreTokenizer");
            json.WriteEndObject();

            WritePostProcessor(json, ids);

            json.WriteStartObject("decoder");
            json.WriteString("type", "WordPiece");
            json.WriteString("prefix", "##");
            json.WriteBoolean("cleanup", true);
            json.WriteEndObject();

            json.WriteStartObject("model");
            json.WriteString("type", "WordPiece");
            json.WriteString("unk_token", "[UNK]");
            json.WriteString("continuing_subword_prefix", "##");
            json.WriteNumber("max_input_chars_per_word", 100);
            json.WriteStartObject("vocab");
            for (int id = 0; id < vocabulary.Count; id++) json.WriteNumber(vocabulary[id], id);
            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    // single: [CLS]:0 $A:0 [SEP]:0 — pair: [CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1
    static void WritePostProcessor(Utf8JsonWriter json, Dictionary<string, int> ids)
    {
        json.WriteStartObject("post_processor");
        json.WriteString("type", "TemplateProcessing");
        json.WriteStartArray("single");
        WritePiece(json, "SpecialToken", "[CLS]", 0);
        WritePiece(json, "Sequence", "A", 0);
        WritePiece(json, "SpecialToken", "[SEP]", 0);
        json.WriteEndArray();
        json.WriteStartArray("pair");
        WritePiece(json, "SpecialToken", "[CLS]", 0);
        WritePiece(json, "Sequence", "A", 0);
        WritePiece(json, "SpecialToken", "[SEP]", 0);
        WritePiece(json, "Sequence", "B", 1);
        WritePiece(json, "SpecialToken", "[SEP]", 1);
        json.WriteEndArray();
        json.WriteStartObject("special_tokens");
        foreach (string token in (string[])["[CLS]", "[SEP]"])
        {
            json.WriteStartObject(token);
            json.WriteString("id", token);
            json.WriteStartArray("ids");
            json.WriteNumberValue(ids[token]);
            json.WriteEndArray();
            json.WriteStartArray("tokens");
            json.WriteStringValue(token);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    static void WritePiece(Utf8JsonWriter json, string kind, string id, int typeId)
    {
        json.WriteStartObject();
        json.WriteStartObject(kind);
        json.WriteString("id", id);
        json.WriteNumber("type_id", typeId);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
