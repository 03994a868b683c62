using System.Text.Json.Nodes;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>
/// Zero mismatches against Hugging Face's Rust tokenizer (fixtures from tools/tokenizer-fixtures):
/// ids, type ids, attention and special-tokens masks, word ids and offsets.
/// </summary>
public class HuggingFaceParityTests
{
    [Fact]
    public void EdgeCasesMatch()
    {
        var mismatches = new List<string>();
        int cases = 0;
        foreach (var c in OracleFixtures.Read("edge-cases.jsonl"))
        {
            if (c.ContainsKey("decode") || c.ContainsKey("batch")) continue;
            cases++;
            string text = (string)c["text"]!;
            string? pair = (string?)c["pair"];
            string name = $"[{c["config"]}] {c["name"]}";
            var truncation = OracleFixtures.Truncation(c["truncation"]);
            var tokenizer = OracleFixtures.Tokenizer(c, truncation);
            // Hugging Face 0.23.2 renumbers word ids wrongly after truncation on the left (see
            // LeftTruncationKeepsTheWordIdsOfTheText); everything else must still match.
            bool leftTruncated = truncation?.Side == Side.Left;
            mismatches.AddRange(OracleFixtures.Differences(name, tokenizer.Encode(text, pair), c, text, pair, compareWordIds: !leftTruncated));
        }
        Assert.True(cases > 200, $"only {cases} edge cases read");
        Assert.True(mismatches.Count == 0, OracleFixtures.Report(mismatches, cases));
    }

    [Fact]
    public void LeftTruncationKeepsTheWordIdsOfTheText()
    {
        // The oracle reports word ids 2..7 for the last six words of a 14-word text (and 0 for the
        // first kept word of "… tokenization preprocessing unaffable"): not the words' indices. We
        // keep each token's word id from the whole text, so word ids still point into the text.
        const string text = "the quick brown fox jumps over the lazy dog and keeps running far away";
        var whole = new BertTokenizer(MiniLmVocabulary.Shared).Encode(text);
        var left = new BertTokenizer(MiniLmVocabulary.Shared) { Truncation = new TruncationOptions(8) { Side = Side.Left } }.Encode(text);
        Assert.Equal(["[CLS]", "dog", "and", "keeps", "running", "far", "away", "[SEP]"], left.Tokens);
        Assert.Equal([TokenEncoding.None, 8, 9, 10, 11, 12, 13, TokenEncoding.None], left.WordIds);
        Assert.Equal(whole.WordIds[^7..^1], left.WordIds[1..^1]);
    }

    [Fact]
    public void BatchesWithPaddingMatch()
    {
        var mismatches = new List<string>();
        int cases = 0;
        foreach (var c in OracleFixtures.Read("edge-cases.jsonl").Where(c => c.ContainsKey("batch")))
        {
            cases++;
            var tokenizer = OracleFixtures.Tokenizer(c, padding: OracleFixtures.Padding(c["padding"]!));
            var inputs = c["batch"]!.AsArray().Select(i => i is JsonArray p ? ((string)p[0]!, (string?)p[1]) : ((string)i!, null)).ToArray();
            var batch = tokenizer.EncodeBatch(inputs);
            var expected = c["encodings"]!.AsArray();
            Assert.Equal(expected.Count, batch.BatchSize);
            for (int i = 0; i < inputs.Length; i++)
            {
                mismatches.AddRange(OracleFixtures.Differences($"{c["name"]} #{i}", batch.Encodings[i], expected[i]!.AsObject(), inputs[i].Item1, inputs[i].Item2));
                var row = batch.InputIds.AsSpan(i * batch.SequenceLength, batch.SequenceLength);
                Assert.True(row.SequenceEqual(batch.Encodings[i].Ids), $"{c["name"]} #{i}: the [batch, seq] layout differs from the encoding");
            }
        }
        Assert.Equal(5, cases);
        Assert.True(mismatches.Count == 0, OracleFixtures.Report(mismatches, cases));
    }

    [Fact]
    public void DecodingMatches()
    {
        var tokenizer = new BertTokenizer(MiniLmVocabulary.Shared);
        int cases = 0;
        foreach (var c in OracleFixtures.Read("edge-cases.jsonl").Where(c => c.ContainsKey("decode")))
        {
            cases++;
            var ids = c["decode"]!.AsArray().Select(n => (int)n!).ToArray();
            Assert.True((string)c["decoded"]! == tokenizer.Decode(ids, (bool)c["skip_special_tokens"]!),
                $"{c["name"]}: expected '{c["decoded"]}', got '{tokenizer.Decode(ids, (bool)c["skip_special_tokens"]!)}'");
        }
        Assert.Equal(11, cases);
    }

    [Fact]
    public void EverySnipsSentenceMatches() => AllMatch("snips.jsonl.gz", minimumCases: 13_000);

    [Fact]
    public void EveryCodePointSweepMatches() => AllMatch("sweep.jsonl.gz", minimumCases: 4_000);

    [Fact]
    public void WordListsMatch()
    {
        var tokenizer = new BertTokenizer(MiniLmVocabulary.Shared);
        var mismatches = new List<string>();
        int cases = 0;
        foreach (var c in OracleFixtures.Read("words.jsonl.gz"))
        {
            cases++;
            var words = c["words"]!.AsArray().Select(w => (string)w!).ToArray();
            mismatches.AddRange(OracleFixtures.Differences((string)c["name"]!, tokenizer.EncodeWords(words), c, (string)c["text"]!, null));
        }
        Assert.True(cases >= 700, $"only {cases} cases");
        Assert.True(mismatches.Count == 0, OracleFixtures.Report(mismatches, cases));
    }

    [Fact]
    public void TokenizerJsonOfTheOracleLoadsToTheSameTokenizer()
    {
        var tokenizer = TokenizerJsonFiles.Load(TokenizerJsonFiles.OracleTemplate());
        var mismatches = new List<string>();
        int cases = 0;
        foreach (var c in OracleFixtures.Read("edge-cases.jsonl").Where(c => (string?)c["config"] == "uncased" && c.ContainsKey("text") && c["truncation"] is null))
        {
            cases++;
            string text = (string)c["text"]!;
            string? pair = (string?)c["pair"];
            mismatches.AddRange(OracleFixtures.Differences((string)c["name"]!, tokenizer.Encode(text, pair), c, text, pair));
        }
        Assert.True(cases > 70, $"only {cases} cases");
        Assert.True(mismatches.Count == 0, OracleFixtures.Report(mismatches, cases));
    }

    static void AllMatch(string file, int minimumCases)
    {
        var mismatches = new List<string>();
        int cases = 0;
        var tokenizers = new Dictionary<string, BertTokenizer>();
        foreach (var c in OracleFixtures.Read(file))
        {
            cases++;
            string config = (string)c["config"]!;
            if (!tokenizers.TryGetValue(config, out var tokenizer)) tokenizers[config] = tokenizer = OracleFixtures.Tokenizer(c);
            string text = (string)c["text"]!;
            mismatches.AddRange(OracleFixtures.Differences($"[{config}] {c["name"]}", tokenizer.Encode(text), c, text, null));
        }
        Assert.True(cases >= minimumCases, $"only {cases} cases read from {file}");
        Assert.True(mismatches.Count == 0, OracleFixtures.Report(mismatches, cases));
    }
}
