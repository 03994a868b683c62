using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.Bert;

/// <summary>
/// BERT's initialisation is the model's choice: every seeded model must draw the same random stream
/// (same order, same distribution, same dtype) so that every seeded result stays reproducible.
/// </summary>
public class BertInitTests
{
    static BertConfig Tiny() => new()
    {
        VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 16,
        MaxPositionEmbeddings = 12, TypeVocabSize = 2,
    };

    // SHA-256 of every parameter's name and bytes, in registration order, for a model built from a
    // seed. Changing one drawn value, the order of the draws or a distribution changes the digest.
    [Theory]
    [InlineData("MultiTaskBert float32", "797B75525EEDDAAA57EF4BC8645FB4AE471E0E9E4F6A8B3A4EAC0476D8C92DAA")]
    [InlineData("MultiTaskBert float64", "611B2DDFF61DF0FAB17CF0D5FABA56DDEC8B038C1467419397C7E8A491F9D0EB")]
    [InlineData("BertModel with pooler", "C7C7CA54A1C5BC093BBEEE5FE9DC5D26D5464C573C14E7E286F8A1641C6EAA5A")]
    public void SeededModelsDrawTheSameInitialWeights(string model, string expectedSha256)
    {
        using Module built = model switch
        {
            "MultiTaskBert float32" => new MultiTaskBert(Tiny(), 4, 6, seed: 5),
            "MultiTaskBert float64" => new MultiTaskBert(Tiny(), 3, 5, seed: 1, DType.Float64),
            "BertModel with pooler" => new BertModel(Tiny(), withPooler: true, seed: 3),
            _ => throw new ArgumentException(model),
        };
        Assert.Equal(expectedSha256, Digest(built));
    }

    static string Digest(Module module)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, parameter) in module.NamedParameters())
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(parameter.DType == DType.Float64
                ? MemoryMarshal.AsBytes(parameter.ToArray<double>().AsSpan())
                : MemoryMarshal.AsBytes(parameter.ToArray<float>().AsSpan()));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
