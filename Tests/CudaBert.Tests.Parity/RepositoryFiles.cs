namespace CudaBert.Tests.Parity;

/// <summary>
/// Files the tests read from the repository itself (not from the build output): the repository root
/// is the nearest folder above the test binary that holds CudaBert.sln.
/// </summary>
internal static class RepositoryFiles
{
    /// <summary>The folder that holds CudaBert.sln.</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "CudaBert.sln")))
                    return dir.FullName;
            throw new DirectoryNotFoundException(
                $"no CudaBert.sln in '{AppContext.BaseDirectory}' or any folder above it: these tests read data/ from the repository they were built in");
        }
    }

    /// <summary>SNIPS in the JointBERT layout: data/snips (train/, dev/, intent_label.txt, slot_label.txt).</summary>
    public static string SnipsDirectory => Path.Combine(Root, "data", "snips");
}
