using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Import;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Tests.Parity.Import;

/// <summary>
/// ONNX Runtime runs the package's model.onnx; a plain float64 BERT forward (ReferenceBertForward)
/// runs on the imported model.safetensors + config.json. Agreement proves every name, transpose and
/// config value of the import, because each weight takes part in the output.
/// </summary>
[Collection(MiniLmImportCollection.Name)]
public class MiniLmOnnxRuntimeParityTests(MiniLmImportFixture fixture)
{
    [Fact]
    public void ImportedWeightsReproduceOnnxRuntimeOnASentencePair()
    {
        var vocabulary = File.ReadAllLines(fixture.FilePath(HuggingFaceModelFolder.VocabularyFile));
        int Id(string token)
        {
            int id = Array.IndexOf(vocabulary, token);
            Assert.True(id >= 0, $"'{token}' is not a whole token of the vocabulary");
            return id;
        }
        // "[CLS] the quick brown fox jumps [SEP] over the lazy dog [SEP]": whole-word tokens only, and a
        // second segment so that token type 1 takes part too.
        string[] first = ["[CLS]", "the", "quick", "brown", "fox", "jumps", "[SEP]"], second = ["over", "the", "lazy", "dog", "[SEP]"];
        int[] ids = [.. first.Concat(second).Select(Id)];
        int[] types = [.. first.Select(_ => 0).Concat(second.Select(_ => 1))];

        var (ortHidden, ortPooled) = RunOnnxRuntime(ids, types);

        using var weights = SafetensorsFile.Open(fixture.FilePath(HuggingFaceModelFolder.WeightsFile));
        var config = BertConfig.Load(fixture.FilePath(HuggingFaceModelFolder.ConfigFile));
        var (hidden, pooled) = new ReferenceBertForward(weights, config).Run(ids, types);

        // ORT computes in float32, the reference in float64: measured 1.2e-6 (hidden) and 1.2e-7 (pooled);
        // a single swapped weight (query/key of one layer) gives 0.86.
        const double Bound = 1e-5;
        AssertClose.Elementwise(Array.ConvertAll(ortHidden, v => (double)v), hidden.SelectMany(row => row).ToArray(),
            "last_hidden_state, flat (expected: ONNX Runtime's)", absolute: Bound);
        AssertClose.Elementwise(Array.ConvertAll(ortPooled, v => (double)v), pooled, "pooler output (expected: ONNX Runtime's)", absolute: Bound);
    }

    (float[] Hidden, float[] Pooled) RunOnnxRuntime(int[] ids, int[] types)
    {
        using var resources = new ManifestResourceReader(fixture.PackageAssemblyPath);
        using var session = new InferenceSession(resources.Read(resources.FindBySuffix("model.onnx")));
        long[] shape = [1, ids.Length];
        using var inputIds = OrtValue.CreateTensorValueFromMemory(ids.Select(i => (long)i).ToArray(), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(ids.Select(_ => 1L).ToArray(), shape);
        using var tokenTypes = OrtValue.CreateTensorValueFromMemory(types.Select(t => (long)t).ToArray(), shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = inputIds, ["attention_mask"] = mask, ["token_type_ids"] = tokenTypes };
        string pooledName = session.OutputNames.Single(n => n != "last_hidden_state");
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, ["last_hidden_state", pooledName]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }
}
