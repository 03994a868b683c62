using CudaBert.Fuzz;

namespace CudaBert.Tests.Reliability;

/// <summary>A temporary folder holding a copy of a fuzzer seed (by default the tiny checkpoint), deleted on dispose.</summary>
sealed class SeedFolder : IDisposable
{
    public SeedFolder(IReadOnlyDictionary<string, byte[]>? files = null)
    {
        Path = Directory.CreateTempSubdirectory("cudabert-reliability-").FullName;
        foreach (var (name, bytes) in files ?? FuzzSeeds.Checkpoint)
        {
            string path = File(name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllBytes(path, bytes);
        }
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Write(string name, string text) => System.IO.File.WriteAllText(File(name), text);

    public string Read(string name) => System.IO.File.ReadAllText(File(name));

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
