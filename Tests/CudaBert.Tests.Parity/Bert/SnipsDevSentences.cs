namespace CudaBert.Tests.Parity.Bert;

/// <summary>The 700 sentences of SNIPS dev (<c>data/snips/dev/seq.in</c> of the repository).</summary>
internal static class SnipsDevSentences
{
    public static string Path => System.IO.Path.Combine(RepositoryFiles.SnipsDirectory, "dev", "seq.in");

    public static string[] Load()
    {
        if (!File.Exists(Path))
            throw new FileNotFoundException($"the SNIPS dev split is expected at '{Path}' (data/snips of the repository)", Path);
        return File.ReadAllLines(Path).Where(line => line.Length > 0).ToArray();
    }
}
