namespace CudaBert.Tests;

/// <summary>
/// Files the tests read from the repository itself (not from the build output): the repository root
/// is the nearest folder above the test binary that holds CudaBert.sln. Both test projects compile
/// this one file.
/// </summary>
internal static class RepositoryFiles
{
    /// <summary>The folder that holds CudaBert.sln, or null where there is none (a published test bundle).</summary>
    static string? Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CudaBert.sln")))
                return dir.FullName;
        return null;
    }

    /// <summary>The folder that holds CudaBert.sln; throws where there is none.</summary>
    public static string Root => Find() ?? throw new DirectoryNotFoundException(
        $"no CudaBert.sln in '{AppContext.BaseDirectory}' or any folder above it: these tests read data/ from the repository they were built in");

    /// <summary>
    /// The folder that holds CudaBert.sln; where there is none (a published test bundle without the
    /// sources beside it) the calling test is skipped, saying <paramref name="what"/> is missing.
    /// </summary>
    public static string RootOrSkip(string what)
    {
        string? root = Find();
        if (root is null) Assert.Skip($"no CudaBert.sln above {AppContext.BaseDirectory}: {what} are not beside this test binary");
        return root!;
    }

    /// <summary>SNIPS in the JointBERT layout: data/snips (train/, dev/, intent_label.txt, slot_label.txt).</summary>
    public static string SnipsDirectory => Path.Combine(Root, "data", "snips");
}
