namespace CudaBert.Tests.Parity.Bert;

/// <summary>The 700 sentences of SNIPS dev (<c>../shared/data/snips/dev/seq.in</c> from the repository root).</summary>
internal static class SnipsDevSentences
{
    public static string Path => System.IO.Path.GetFullPath(System.IO.Path.Combine(AppContext.BaseDirectory, "../../../../../../shared/data/snips/dev/seq.in"));

    public static string[] Load()
    {
        if (!File.Exists(Path))
            throw new FileNotFoundException($"the SNIPS dev split is expected at '{Path}' (the shared data folder beside the repository)", Path);
        return File.ReadAllLines(Path).Where(line => line.Length > 0).ToArray();
    }
}
