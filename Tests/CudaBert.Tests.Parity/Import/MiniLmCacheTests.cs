using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Parity.Import;

/// <summary>
/// This project references CudaBert.Models.MiniLM as an application does, so the default encoder is
/// found where that package puts it (minilm/ beside the program) with no path given.
/// </summary>
public class MiniLmCacheTests
{
    [Fact]
    public void ImportsOnFirstUseAndReusesTheFolderAfterwards()
    {
        string root = Path.Combine(Path.GetTempPath(), $"cudabert-cache-{Guid.NewGuid():N}");
        try
        {
            string folder = DefaultEncoderCache.EnsureImported(root);
            Assert.Equal(Path.Combine(root, $"all-MiniLM-L6-v2-{MiniLmPackage.PackageVersion}"), folder);
            string weights = Path.Combine(folder, HuggingFaceModelFolder.WeightsFile);
            var firstWrite = File.GetLastWriteTimeUtc(weights);

            Assert.Equal(folder, DefaultEncoderCache.EnsureImported(root));
            Assert.Equal(firstWrite, File.GetLastWriteTimeUtc(weights));
            Assert.Equal([folder], Directory.GetDirectories(root)); // no temporary folder left behind
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
