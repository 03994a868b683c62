using System.Security.Cryptography;
using System.Text.Json;
using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Import;

namespace CudaBert.Tests.Parity.Import;

/// <summary>
/// The imported folder against the official onnx package's reading of the same model.onnx
/// (Fixtures/minilm/onnx-reference.json, written by tools/onnx-fixtures/minilm_initializers.py).
/// </summary>
[Collection(MiniLmImportCollection.Name)]
public class MiniLmImportParityTests(MiniLmImportFixture fixture)
{
    const int Layers = 6, Hidden = 384, Intermediate = 1536, Vocab = 30522, Positions = 512;

    /// <summary>Every parameter a Hugging Face BertModel with a pooler has, with PyTorch shapes.</summary>
    static Dictionary<string, long[]> ExpectedParameters()
    {
        var expected = new Dictionary<string, long[]>
        {
            ["embeddings.word_embeddings.weight"] = [Vocab, Hidden],
            ["embeddings.position_embeddings.weight"] = [Positions, Hidden],
            ["embeddings.token_type_embeddings.weight"] = [2, Hidden],
            ["embeddings.LayerNorm.weight"] = [Hidden],
            ["embeddings.LayerNorm.bias"] = [Hidden],
            ["pooler.dense.weight"] = [Hidden, Hidden],
            ["pooler.dense.bias"] = [Hidden],
        };
        for (int l = 0; l < Layers; l++)
        {
            string p = $"encoder.layer.{l}.";
            foreach (string linear in (string[])["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"])
            {
                expected[p + linear + ".weight"] = [Hidden, Hidden];
                expected[p + linear + ".bias"] = [Hidden];
            }
            expected[p + "intermediate.dense.weight"] = [Intermediate, Hidden];
            expected[p + "intermediate.dense.bias"] = [Intermediate];
            expected[p + "output.dense.weight"] = [Hidden, Intermediate];
            expected[p + "output.dense.bias"] = [Hidden];
            foreach (string norm in (string[])["attention.output.LayerNorm", "output.LayerNorm"])
            {
                expected[p + norm + ".weight"] = [Hidden];
                expected[p + norm + ".bias"] = [Hidden];
            }
        }
        return expected;
    }

    [Fact]
    public void SafetensorsHoldsExactlyTheHuggingFaceParametersWithTheirShapes()
    {
        var expected = ExpectedParameters();
        using var file = SafetensorsFile.Open(fixture.FilePath(HuggingFaceModelFolder.WeightsFile));
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), file.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var tensor in file.Tensors)
        {
            Assert.Equal(SafetensorsDType.F32, tensor.DType);
            Assert.True(expected[tensor.Name].SequenceEqual(tensor.Shape), $"{tensor.Name}: expected [{string.Join(", ", expected[tensor.Name])}], got {tensor.ShapeText}");
        }
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void EveryInitializerIsConsumedOnceAndOnlyShapeConstantsAreSkipped()
    {
        var reference = fixture.Reference.GetProperty("initializers").EnumerateArray().ToList();
        var import = fixture.Import;
        Assert.Equal(reference.Count, import.InitializerCount);

        var consumed = import.Parameters.Select(p => p.SourceInitializer).Concat(import.Skipped.Select(s => s.Name)).ToList();
        Assert.Equal(reference.Select(r => r.GetProperty("name").GetString()!).Order(StringComparer.Ordinal), consumed.Order(StringComparer.Ordinal));

        const int Int64 = 7;
        var integerInitializers = reference.Where(r => r.GetProperty("data_type").GetInt32() == Int64).Select(r => r.GetProperty("name").GetString()!);
        Assert.Equal(integerInitializers.Order(StringComparer.Ordinal), import.Skipped.Select(s => s.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AnonymousMatMulWeightsAreNamedAfterTheBiasTheyMeet()
    {
        var reference = fixture.Reference.GetProperty("matmul_weight_bias").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        var anonymous = fixture.Import.Parameters.Where(p => !p.SourceInitializer.Contains('.')).ToList();
        Assert.Equal(Layers * 6, anonymous.Count);
        foreach (var parameter in anonymous)
        {
            string bias = reference[parameter.SourceInitializer];
            Assert.Equal(bias[..^".bias".Length] + ".weight", parameter.Name);
            Assert.True(parameter.Transposed);
        }
    }

    [Fact]
    public void ValuesAreBitEqualToTheOnnxInitializersAfterUndoingTheTranspose()
    {
        var digests = fixture.Reference.GetProperty("initializers").EnumerateArray()
            .ToDictionary(r => r.GetProperty("name").GetString()!, r => r.GetProperty("sha256").GetString()!);
        using var file = SafetensorsFile.Open(fixture.FilePath(HuggingFaceModelFolder.WeightsFile));
        foreach (var parameter in fixture.Import.Parameters)
        {
            var info = file.GetInfo(parameter.Name);
            float[] values = file.ReadFloat32(parameter.Name);
            // A transposed parameter is [out, in] here and [in, out] in the ONNX file.
            float[] asInOnnx = parameter.Transposed ? Transpose(values, (int)info.Shape[0], (int)info.Shape[1]) : values;
            string digest = Convert.ToHexStringLower(SHA256.HashData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(asInOnnx.AsSpan())));
            Assert.True(digests[parameter.SourceInitializer] == digest, $"{parameter.Name} (ONNX '{parameter.SourceInitializer}') differs from the onnx package's values");
        }
    }

    [Fact]
    public void ConfigIsMiniLmAndAgreesWithTheGraphConstants()
    {
        var config = BertConfig.Load(fixture.FilePath(HuggingFaceModelFolder.ConfigFile));
        Assert.Equal((Layers, Hidden, 12, Intermediate, Vocab, Positions, 2, "gelu"),
            (config.NumHiddenLayers, config.HiddenSize, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize,
             config.MaxPositionEmbeddings, config.TypeVocabSize, config.HiddenAct));
        Assert.Equal(1e-12, config.LayerNormEps);

        var reference = fixture.Reference;
        Assert.Equal((float)reference.GetProperty("embeddings_layer_norm_eps").GetDouble(), (float)config.LayerNormEps);
        double divisor = reference.GetProperty("attention_score_divisor").GetDouble();
        Assert.Equal(config.HeadSize, (int)Math.Round(divisor * divisor));
        Assert.Equal(config.NumHiddenLayers, reference.GetProperty("erf_nodes").GetInt32());
    }

    [Fact]
    public void VocabularyIsThePackagesWithLfLineEndings()
    {
        using var resources = new ManifestResourceReader(fixture.PackageAssemblyPath);
        string packaged = System.Text.Encoding.UTF8.GetString(resources.Read(resources.FindBySuffix("vocab.txt")));
        string written = File.ReadAllText(fixture.FilePath(HuggingFaceModelFolder.VocabularyFile));
        Assert.DoesNotContain('\r', written);
        Assert.Equal(packaged.Replace("\r\n", "\n").TrimEnd('\n') + "\n", written);
        Assert.Equal(Vocab, written.Count(c => c == '\n'));
    }

    static float[] Transpose(float[] values, int rows, int columns)
    {
        var result = new float[values.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[c * rows + r] = values[r * columns + c];
        return result;
    }
}
