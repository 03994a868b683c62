using System.Text.Json;

namespace CudaBert.Tests.Model.Import;

/// <summary>Fixtures/onnx/tiny-linear.onnx and the values the official onnx package reads from it (tiny-linear.json).</summary>
static class TinyOnnxFixture
{
    static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "onnx");

    public static byte[] OnnxBytes() => File.ReadAllBytes(Path.Combine(Folder, "tiny-linear.onnx"));

    public static JsonElement Reference()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "tiny-linear.json")));
        return document.RootElement.Clone();
    }
}
