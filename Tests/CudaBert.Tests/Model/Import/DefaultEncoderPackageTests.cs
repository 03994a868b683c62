using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Model.Import;

/// <summary>
/// This test project references CudaBert.Model but not CudaBert.Models.MiniLM, as an application that
/// forgot the model package would: the default encoder is not beside it, and the error must say
/// which package reference to add.
/// </summary>
public class DefaultEncoderPackageTests
{
    [Fact]
    public void WithoutTheModelPackageTheErrorNamesThePackageReferenceToAdd()
    {
        string root = Path.Combine(Path.GetTempPath(), $"cudabert-cache-{Guid.NewGuid():N}");
        try
        {
            Assert.False(File.Exists(MiniLmPackage.DefaultAssemblyPath), $"{MiniLmPackage.DefaultAssemblyPath} exists: this project must not reference {MiniLmPackage.ModelsPackageId}");
            var error = Assert.Throws<FileNotFoundException>(() => DefaultEncoderCache.EnsureImported(root));
            string version = typeof(MiniLmPackage).Assembly.GetName().Version!.ToString(3);
            Assert.Contains($"<PackageReference Include=\"CudaBert.Models.MiniLM\" Version=\"{version}\" />", error.Message);
            Assert.Contains(MiniLmPackage.DefaultAssemblyPath, error.Message);
            Assert.Equal(MiniLmPackage.DefaultAssemblyPath, error.FileName);
            Assert.Empty(Directory.GetDirectories(root));   // no half-imported folder left behind
        }
        finally
        {
            if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        }
    }
}
