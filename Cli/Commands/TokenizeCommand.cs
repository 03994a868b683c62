using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using CudaBert.Tokenizer;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert tokenize</c>: tokenize texts (or stdin lines) with a BERT WordPiece vocabulary or a
/// Hugging Face tokenizer.json. With <c>--json</c>, one JSON object per line per input, a stable format
/// other tools read: <c>tokens</c>, <c>ids</c>, <c>type_ids</c>, <c>attention_mask</c>,
/// <c>word_ids</c> (null for special tokens), <c>offsets</c> ([start, end) UTF-16 indices).
/// </summary>
public static class TokenizeCommand
{
    /// <summary>The <c>tokenize</c> command with its options, text arguments and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var vocab = new Option<FileInfo>("--vocab") { Description = "vocab.txt of a BERT WordPiece vocabulary (uncased settings unless --cased)" };
        var tokenizerJson = new Option<FileInfo>("--tokenizer") { Description = "a Hugging Face tokenizer.json (BERT WordPiece)" };
        var cased = new Option<bool>("--cased") { Description = "with --vocab: keep case and accents (bert-base-cased settings)" };
        var pair = new Option<string>("--pair") { Description = "a second text, encoded as a pair with each input" };
        var maxLength = new Option<int?>("--max-length") { Description = "truncate to at most N tokens, special tokens included (longest first)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object per input instead of a table" };
        var texts = new Argument<string[]>("text") { Description = "texts to tokenize; without any, lines are read from stdin", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("tokenize", "Tokenize text with a BERT WordPiece vocabulary: a table, or JSON lines with --json.")
        {
            vocab, tokenizerJson, cased, pair, maxLength, json, texts,
        };
        command.Validators.Add(result =>
        {
            if ((result.GetResult(vocab) is null) == (result.GetResult(tokenizerJson) is null))
                result.AddError("Give exactly one of --vocab PATH or --tokenizer tokenizer.json.");
            if (result.GetValue(maxLength) is < 3)
                result.AddError("--max-length must be at least 3 (room for [CLS], a token and [SEP]).");
        });
        command.SetAction(parsed =>
        {
            var tokenizer = parsed.GetValue(tokenizerJson) is { } file
                ? TokenizerJson.Load(file.FullName)
                : BertTokenizer.FromVocabFile(parsed.GetValue(vocab)!.FullName, parsed.GetValue(cased) ? BertTokenizerOptions.Cased : BertTokenizerOptions.Uncased);
            if (parsed.GetValue(maxLength) is { } max)
                tokenizer = new BertTokenizer(tokenizer.Vocabulary, tokenizer.Options) { Truncation = new TruncationOptions(max), Padding = tokenizer.Padding };

            string? second = parsed.GetValue(pair);
            var inputs = CommandTexts.OrStandardInput(parsed.GetValue(texts));
            using var stdout = Console.OpenStandardOutput();
            foreach (string text in inputs)
            {
                var encoding = tokenizer.Encode(text, second);
                if (parsed.GetValue(json)) WriteJson(stdout, encoding);
                else WriteTable(encoding, text, second);
            }
            return 0;
        });
        return command;
    }

    static void WriteJson(Stream output, TokenEncoding e)
    {
        using (var w = new Utf8JsonWriter(output, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("tokens");
            foreach (string token in e.Tokens) w.WriteStringValue(token);
            w.WriteEndArray();
            WriteInts(w, "ids", e.Ids);
            WriteInts(w, "type_ids", e.TypeIds);
            WriteInts(w, "attention_mask", e.AttentionMask);
            w.WriteStartArray("word_ids");
            foreach (int word in e.WordIds)
                if (word == TokenEncoding.None) w.WriteNullValue();
                else w.WriteNumberValue(word);
            w.WriteEndArray();
            w.WriteStartArray("offsets");
            foreach (var offset in e.Offsets)
            {
                w.WriteStartArray();
                w.WriteNumberValue(offset.Start);
                w.WriteNumberValue(offset.End);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
    }

    static void WriteInts(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }

    static void WriteTable(TokenEncoding e, string text, string? pair)
    {
        Console.WriteLine($"{"#",4}  {"token",-16} {"id",6} {"type",4} {"word",4}  text");
        for (int i = 0; i < e.Length; i++)
        {
            var offset = e.Offsets[i];
            string source = e.SequenceIds[i] == 1 ? pair! : text;
            string original = e.SpecialTokensMask[i] == 1 ? "" : source[offset.Start..offset.End];
            string word = e.WordIds[i] == TokenEncoding.None ? "-" : e.WordIds[i].ToString();
            Console.WriteLine($"{i,4}  {e.TokenAt(i),-16} {e.Ids[i],6} {e.TypeIds[i],4} {word,4}  {original}");
        }
        Console.WriteLine();
    }
}
