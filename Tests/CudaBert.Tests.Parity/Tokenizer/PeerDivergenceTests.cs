using System.Text;
using CudaBert.Tokenizer;
using Xunit.Sdk;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>
/// The .NET peers, Microsoft.ML.Tokenizers 2.0.1 and FastBertTokenizer 1.2.6, on the oracle's
/// corpus: which cases they tokenize differently from Hugging Face (ids only), next to ours, which
/// must match all. The report goes to the test output (and to the file named by
/// CUDABERT_PEER_REPORT); the README summarises it.
/// </summary>
public class PeerDivergenceTests(ITestOutputHelper output)
{
    [Fact]
    public void PeersDivergeWhereWeDoNot()
    {
        var ours = new BertTokenizer(MiniLmVocabulary.Shared);
        var vocabText = Encoding.UTF8.GetString(MiniLmVocabulary.Bytes());
        var fast = new FastBertTokenizer.BertTokenizer();
        fast.LoadVocabulary(new StringReader(vocabText), convertInputToLowercase: true);
        var ml = Microsoft.ML.Tokenizers.BertTokenizer.Create(new MemoryStream(MiniLmVocabulary.Bytes()), new Microsoft.ML.Tokenizers.BertOptions
        {
            LowerCaseBeforeTokenization = true,
            ApplyBasicTokenization = true,
            SplitOnSpecialTokens = true,
            IndividuallyTokenizeCjk = true,
            RemoveNonSpacingMarks = true,
        });
        var fastIds = new long[8192];
        var fastMask = new long[8192];
        var tokenizers = new (string Name, Func<string, int[]> Encode)[]
        {
            ("CudaBert", text => ours.Encode(text).Ids),
            ("Microsoft.ML.Tokenizers", text => [.. ml.EncodeToIds(text)]),
            ("FastBertTokenizer", text =>
            {
                int n = fast.Encode(text, fastIds, fastMask);
                return [.. fastIds.AsSpan(0, n).ToArray().Select(id => (int)id)];
            }),
        };

        var corpora = new (string Name, IEnumerable<(string Name, string Text, int[] Ids)> Cases)[]
        {
            ("edge cases", OracleFixtures.Read("edge-cases.jsonl")
                .Where(c => (string?)c["config"] == "uncased" && c.ContainsKey("text") && c["pair"] is null && c["truncation"] is null)
                .Select(c => ((string)c["name"]!, (string)c["text"]!, c["ids"]!.AsArray().Select(n => (int)n!).ToArray()))),
            ("SNIPS", OracleFixtures.Read("snips.jsonl.gz").Select(c => ((string)c["name"]!, (string)c["text"]!, c["ids"]!.AsArray().Select(n => (int)n!).ToArray()))),
            ("code-point sweep", OracleFixtures.Read("sweep.jsonl.gz").Where(c => (string?)c["config"] == "uncased")
                .Select(c => ((string)c["name"]!, (string)c["text"]!, c["ids"]!.AsArray().Select(n => (int)n!).ToArray()))),
        };

        var report = new StringBuilder($"Globalization invariant mode: {IsInvariant()}\n");
        foreach (var (corpus, cases) in corpora)
        {
            var all = cases.Where(c => c.Ids.Length <= 512).ToList(); // FastBertTokenizer stops at 512 tokens
            foreach (var (name, encode) in tokenizers)
            {
                var differing = all.Where(c => !Safe(encode, c.Text).AsSpan().SequenceEqual(c.Ids)).Select(c => c.Name).ToList();
                report.AppendLine($"{corpus}: {name} differs from Hugging Face in {differing.Count} of {all.Count} cases");
                if (corpus == "edge cases") foreach (string c in differing) report.AppendLine($"    {c}");
                if (name == "CudaBert") Assert.True(differing.Count == 0, $"{corpus}: we differ in {string.Join(", ", differing.Take(10))}");
            }
        }
        output.WriteLine(report.ToString());
        if (Environment.GetEnvironmentVariable("CUDABERT_PEER_REPORT") is { Length: > 0 } path) File.WriteAllText(path, report.ToString());
    }

    // A peer that throws is a divergence, not a test failure.
    static int[] Safe(Func<string, int[]> encode, string text)
    {
        try
        {
            return encode(text);
        }
        catch (Exception)
        {
            return [];
        }
    }

    static bool IsInvariant() => "\u00e9".Normalize(NormalizationForm.FormD).Length == 1;
}
