using System.Text;
using System.Text.Json.Nodes;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>Loading vocab.txt and tokenizer.json: the real files load; malformed or unsupported ones fail with the line or JSON path.</summary>
public class TokenizerFilesTests
{
    [Fact]
    public void MiniLmVocabularyIsBertBaseUncased()
    {
        var bytes = MiniLmVocabulary.Bytes();
        Assert.Equal(30522, MiniLmVocabulary.Shared.Count);
        Assert.Equal(30522, Encoding.UTF8.GetString(bytes).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"), (MiniLmVocabulary.Shared[0], MiniLmVocabulary.Shared[100], MiniLmVocabulary.Shared[101], MiniLmVocabulary.Shared[102], MiniLmVocabulary.Shared[103]));
    }

    [Fact]
    public void VocabFileWithLfLinesLoadsTheSame()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, string.Join('\n', MiniLmVocabulary.Shared.Tokens) + "\n");
            var fromFile = BertTokenizer.FromVocabFile(path);
            var fromResource = new BertTokenizer(MiniLmVocabulary.Shared);
            Assert.Equal(fromResource.Encode("Héllo, wörld! 中文 [MASK]").Ids, fromFile.Encode("Héllo, wörld! 中文 [MASK]").Ids);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MalformedVocabularyNamesTheProblem()
    {
        var invalidUtf8 = new MemoryStream([.. "[PAD]\n[UNK]\n"u8, 0xFF, 0xFE, (byte)'\n']);
        var e = Assert.Throws<TokenizerFormatException>(() => Vocabulary.Read(invalidUtf8, "bad-vocab.txt"));
        Assert.Contains("bad-vocab.txt line 3", e.Message);

        var empty = Assert.Throws<TokenizerFormatException>(() => Vocabulary.Read(new MemoryStream(), "empty.txt"));
        Assert.Contains("empty.txt", empty.Message);

        var noUnknown = new Vocabulary(["[PAD]", "[CLS]", "[SEP]", "a"]);
        var missing = Assert.Throws<TokenizerFormatException>(() => new BertTokenizer(noUnknown));
        Assert.Contains("'[UNK]'", missing.Message);
    }

    [Theory]
    [InlineData("normalizer", "type", "\"Lowercase\"", "$.normalizer.type")]
    [InlineData("pre_tokenizer", "type", "\"Whitespace\"", "$.pre_tokenizer.type")]
    [InlineData("model", "type", "\"BPE\"", "$.model.type")]
    [InlineData("model", "max_input_chars_per_word", "\"many\"", "$.model.max_input_chars_per_word")]
    [InlineData("decoder", "cleanup", "false", "$.decoder.cleanup")]
    [InlineData("normalizer", "lowercase", "\"yes\"", "$.normalizer.lowercase")]
    public void UnsupportedSettingsNameTheirJsonPath(string section, string property, string value, string path)
    {
        var json = TokenizerJsonFiles.OracleTemplate();
        json[section]![property] = JsonNode.Parse(value);
        var e = Assert.Throws<TokenizerFormatException>(() => TokenizerJsonFiles.Load(json));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void OtherMalformedTokenizerJsonNamesTheProblem()
    {
        var noNormalizer = TokenizerJsonFiles.OracleTemplate();
        noNormalizer["normalizer"] = null;
        Assert.Contains("$.normalizer", Assert.Throws<TokenizerFormatException>(() => TokenizerJsonFiles.Load(noNormalizer)).Message);

        var lstrip = TokenizerJsonFiles.OracleTemplate();
        lstrip["added_tokens"]![4]!["lstrip"] = true;
        Assert.Contains("$.added_tokens[4].lstrip", Assert.Throws<TokenizerFormatException>(() => TokenizerJsonFiles.Load(lstrip)).Message);

        var template = TokenizerJsonFiles.OracleTemplate();
        template["post_processor"]!["single"]!.AsArray().RemoveAt(0);
        Assert.Contains("$.post_processor", Assert.Throws<TokenizerFormatException>(() => TokenizerJsonFiles.Load(template)).Message);

        var badId = TokenizerJsonFiles.OracleTemplate();
        badId["model"]!["vocab"]!["hello"] = 999_999;
        Assert.Contains("$.model.vocab", Assert.Throws<TokenizerFormatException>(() => TokenizerJsonFiles.Load(badId)).Message);

        var notJson = Assert.Throws<TokenizerFormatException>(() => TokenizerJson.Load(new MemoryStream("{\"model\": [1,"u8.ToArray()), "broken.json"));
        Assert.Contains("broken.json", notJson.Message);
    }

    [Fact]
    public void BertProcessingIsTheSameTemplate()
    {
        var json = TokenizerJsonFiles.OracleTemplate();
        json["post_processor"] = JsonNode.Parse("""{"type":"BertProcessing","sep":["[SEP]",102],"cls":["[CLS]",101]}""");
        var fromBertProcessing = TokenizerJsonFiles.Load(json);
        var fromTemplate = TokenizerJsonFiles.Load(TokenizerJsonFiles.OracleTemplate());
        var a = fromBertProcessing.Encode("What is it?", "A test.");
        var b = fromTemplate.Encode("What is it?", "A test.");
        Assert.Equal(b.Ids, a.Ids);
        Assert.Equal(b.TypeIds, a.TypeIds);
        Assert.Equal(b.SpecialTokensMask, a.SpecialTokensMask);
    }

    [Fact]
    public void TruncationAndPaddingAreReadFromTokenizerJson()
    {
        var json = TokenizerJsonFiles.OracleTemplate();
        json["truncation"] = JsonNode.Parse("""{"direction":"Left","max_length":5,"strategy":"OnlyFirst","stride":0}""");
        json["padding"] = JsonNode.Parse("""{"strategy":{"Fixed":9},"direction":"Right","pad_to_multiple_of":null,"pad_id":0,"pad_type_id":0,"pad_token":"[PAD]"}""");
        var tokenizer = TokenizerJsonFiles.Load(json);
        Assert.Equal(new TruncationOptions(5) { Strategy = TruncationStrategy.OnlyFirst, Side = Side.Left }, tokenizer.Truncation);
        var e = tokenizer.Encode("one two three four five");
        Assert.Equal(["[CLS]", "three", "four", "five", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"], e.Tokens);
        Assert.Equal([1, 1, 1, 1, 1, 0, 0, 0, 0], e.AttentionMask);
    }
}
