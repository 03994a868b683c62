using CudaBert.Engine.IO;
using CudaBert.Fuzz;

namespace CudaBert.Tests.Reliability;

/// <summary>A memory-mapped safetensors file that another writer truncates after it was opened.</summary>
public class SafetensorsShrinkTests
{
    /// <summary>
    /// Touching the vanished pages killed the process (SIGBUS, reported as an AccessViolationException,
    /// which cannot be caught); now every read checks the file's current length first.
    /// </summary>
    [Fact]
    public void ATensorCutOffAfterOpeningIsAFormatError()
    {
        using var folder = new SeedFolder();
        string path = folder.File("model.safetensors");
        using var file = SafetensorsFile.Open(path);
        var last = file.Tensors.MaxBy(t => t.DataEnd)!;
        using (var writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite)) writer.SetLength(file.DataOffset);
        var error = Assert.Throws<SafetensorsFormatException>(() => file.ReadFloat32(last.Name));
        Assert.Equal(last.Name, error.Tensor);
        Assert.Contains("shrank", error.Message);
    }
}
