using BenchmarkDotNet.Attributes;
using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Random;
using CudaBert.Model.Bert;
using CudaBert.Model.Import;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Bench.Bert;

/// <summary>
/// all-MiniLM-L6-v2 forward (last_hidden_state) on the CPU: our engine on the imported weights vs
/// ONNX Runtime on the package's own model.onnx, same token ids, batch 32, no padding.
/// <c>dotnet run -c Release --project Bench -- --filter '*MiniLmForward*'</c>
/// </summary>
[MemoryDiagnoser]
public class MiniLmForwardBenchmarks
{
    private const int Batch = 32;

    private string folder = "";
    private BertModel model = null!;
    private Tensor inputIds = null!, attentionMask = null!, tokenTypeIds = null!;
    private InferenceSession session = null!;
    private RunOptions runOptions = null!;
    private Dictionary<string, OrtValue> ortInputs = null!;

    [Params(32, 128)]
    public int SequenceLength { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        folder = Path.Combine(Path.GetTempPath(), $"cudabert-bench-minilm-{Guid.NewGuid():N}");
        MiniLmImporter.Import(folder, overwrite: false, saveOnnx: true);
        model = BertModel.FromPretrained(folder);
        model.Eval();

        // Word-piece ids from the body of the vocabulary, [CLS] first and [SEP] last.
        var generator = new Generator(7);
        var ids = new int[Batch * SequenceLength];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = (i % SequenceLength) switch { 0 => 101, var t when t == SequenceLength - 1 => 102, _ => 1996 + generator.NextInt(28000) };
        int[] shape = [Batch, SequenceLength];
        inputIds = Tensor.FromArray(ids, shape).Keep();
        attentionMask = Tensor.Ones(shape, DType.Int32).Keep();
        tokenTypeIds = Tensor.Zeros(shape, DType.Int32).Keep();

        session = new InferenceSession(Path.Combine(folder, MiniLmImporter.OnnxFile));
        runOptions = new RunOptions();
        long[] ortShape = [Batch, SequenceLength];
        ortInputs = new Dictionary<string, OrtValue>
        {
            ["input_ids"] = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(ids, v => (long)v), ortShape),
            ["attention_mask"] = OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(1L, ids.Length).ToArray(), ortShape),
            ["token_type_ids"] = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], ortShape),
        };
    }

    [Benchmark(Baseline = true, Description = "ONNX Runtime")]
    public float OnnxRuntime()
    {
        using var outputs = session.Run(runOptions, ortInputs, ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "CudaBert (CPU)")]
    public float CudaBert()
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return model.Forward(inputIds, attentionMask, tokenTypeIds).LastHiddenState.AsSpan<float>()[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var value in ortInputs.Values) value.Dispose();
        runOptions.Dispose();
        session.Dispose();
        inputIds.Dispose();
        attentionMask.Dispose();
        tokenTypeIds.Dispose();
        model.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
