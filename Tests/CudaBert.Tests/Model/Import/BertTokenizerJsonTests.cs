using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Model.Import;

public class BertTokenizerJsonTests
{
    static readonly string[] Vocabulary = ["[PAD]", "[unused0]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "##s", "café"];

    /// <summary>
    /// Fixtures/tokenizer-json/bert-uncased-reference.json holds a vocabulary and the tokenizer.json that
    /// Hugging Face's own library (npm tokenizers, tools/tokenizer-json/reference.mjs) serializes for
    /// the uncased BERT pipeline over it. Ours must be the same document, keys in the same order.
    /// </summary>
    [Fact]
    public void EqualsHuggingFacesOwnSerializationOfThePipeline()
    {
        var fixture = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tokenizer-json", "bert-uncased-reference.json")))!;
        string[] vocabulary = [.. fixture["vocabulary"]!.AsArray().Select(t => t!.GetValue<string>())];
        var reference = fixture["tokenizer"]!;
        var ours = JsonNode.Parse(BertTokenizerJson.Build(vocabulary))!;

        Assert.True(JsonNode.DeepEquals(reference, ours), $"ours:\n{ours.ToJsonString()}\nreference:\n{reference.ToJsonString()}");
        Assert.Equal(reference.ToJsonString(), ours.ToJsonString());
    }

    [Fact]
    public void DescribesTheUncasedBertPipeline()
    {
        using var document = JsonDocument.Parse(BertTokenizerJson.Build(Vocabulary));
        var root = document.RootElement;

        var normalizer = root.GetProperty("normalizer");
        Assert.Equal("BertNormalizer", normalizer.GetProperty("type").GetString());
        Assert.True(normalizer.GetProperty("lowercase").GetBoolean());
        Assert.True(normalizer.GetProperty("strip_accents").GetBoolean());
        Assert.True(normalizer.GetProperty("clean_text").GetBoolean());
        Assert.True(normalizer.GetProperty("handle_chinese_chars").GetBoolean());
        Assert.Equal("BertPreTokenizer", root.GetProperty("pre_tokenizer").GetProperty("type").GetString());

        var model = root.GetProperty("model");
        Assert.Equal("WordPiece", model.GetProperty("type").GetString());
        Assert.Equal("[UNK]", model.GetProperty("unk_token").GetString());
        Assert.Equal("##", model.GetProperty("continuing_subword_prefix").GetString());
        Assert.Equal(100, model.GetProperty("max_input_chars_per_word").GetInt32());
        Assert.Equal(Vocabulary.Select((token, id) => (token, id)),
            model.GetProperty("vocab").EnumerateObject().Select(p => (p.Name, p.Value.GetInt32())));

        var added = root.GetProperty("added_tokens").EnumerateArray().Select(t => (t.GetProperty("content").GetString(), t.GetProperty("id").GetInt32(), t.GetProperty("special").GetBoolean()));
        Assert.Equal([("[PAD]", 0, true), ("[UNK]", 2, true), ("[CLS]", 3, true), ("[SEP]", 4, true), ("[MASK]", 5, true)], added);
    }

    [Fact]
    public void TemplatesAreClsASepAndClsASepBSepWithSecondSegmentTypeOne()
    {
        using var document = JsonDocument.Parse(BertTokenizerJson.Build(Vocabulary));
        var processor = document.RootElement.GetProperty("post_processor");
        Assert.Equal("TemplateProcessing", processor.GetProperty("type").GetString());

        static string Show(JsonElement pieces) => string.Join(" ", pieces.EnumerateArray().Select(piece =>
        {
            var (kind, body) = piece.EnumerateObject().Select(p => (p.Name, p.Value)).Single();
            string id = body.GetProperty("id").GetString()!;
            return $"{(kind == "Sequence" ? "$" + id : id)}:{body.GetProperty("type_id").GetInt32()}";
        }));
        Assert.Equal("[CLS]:0 $A:0 [SEP]:0", Show(processor.GetProperty("single")));
        Assert.Equal("[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", Show(processor.GetProperty("pair")));
        Assert.Equal([3], processor.GetProperty("special_tokens").GetProperty("[CLS]").GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal([4], processor.GetProperty("special_tokens").GetProperty("[SEP]").GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
    }

    [Fact]
    public void NonAsciiTokensAreWrittenAsUtf8()
    {
        Assert.Contains("\"café\": 8", BertTokenizerJson.Build(Vocabulary));
    }

    [Fact]
    public void RefusesAVocabularyWithoutSpecialTokensOrWithDuplicates()
    {
        Assert.Contains("the special token '[MASK]' is missing",
            Assert.Throws<InvalidDataException>(() => BertTokenizerJson.Build(["[PAD]", "[UNK]", "[CLS]", "[SEP]"])).Message);
        Assert.Contains("token 'hello' appears on lines 7 and 8",
            Assert.Throws<InvalidDataException>(() => BertTokenizerJson.Build([.. Vocabulary[..7], "hello"])).Message);
    }

    [Fact]
    public void VocabularySplittingNormalisesLineEndings()
    {
        Assert.Equal(["[PAD]", "a", "b"], MiniLmPackage.SplitVocabulary("\uFEFF[PAD]\r\na\r\nb\r\n"));
        Assert.Equal(["[PAD]", "a", "b"], MiniLmPackage.SplitVocabulary("[PAD]\na\nb"));
    }
}
