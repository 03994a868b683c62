using System.Text.Json;
using CudaBert.Model.Export;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// ONNX Runtime runs the exported graph; our own forward runs the model it came from, on the same padded
/// batch. Every parameter is random (biases and LayerNorm included), so each weight, transpose, the
/// padding mask and the pooling take part in what is compared.
/// </summary>
public class OnnxExportRuntimeTests
{
    // Both sides compute in float32 with different summation orders, erf and LayerNorm code; the
    // difference then grows with the size of the values, so the bound is relative to the largest logit.
    // Measured: at most 7.5e-7 of the scale (sentence logits) and 5.6e-7 (token logits), with either
    // GELU; a graph that ignores the attention mask misses by 1.07 of it.
    const double RelativeBound = 1e-5;

    [Theory]
    [InlineData("gelu")]
    [InlineData("gelu_new")]
    public void OnnxRuntimeReproducesOurForwardOnAPaddedBatch(string hiddenAct)
    {
        using var tiny = new TinyExportModel(hiddenAct);
        string path = Path.Combine(tiny.Folder, "model.onnx");
        OnnxExport.Write(path, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels);

        var (sentence, tokens) = TinyExportModel.Forward(tiny.Model);
        var (ortSentence, ortTokens) = RunOnnxRuntime(path);

        Assert.Equal(sentence.Length, ortSentence.Length);
        Assert.Equal(tokens.Length, ortTokens.Length);
        AssertClose(sentence, ortSentence, "sentence_logits");
        AssertClose(tokens, ortTokens, "token_logits");
    }

    [Fact]
    public void TheGraphDeclaresItsInputsOutputsAndLabels()
    {
        using var tiny = new TinyExportModel();
        string path = Path.Combine(tiny.Folder, "model.onnx");
        OnnxExport.Write(path, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels);

        using var session = new InferenceSession(path);
        Assert.Equal(["input_ids", "attention_mask", "token_type_ids"], session.InputNames);
        foreach (var input in session.InputMetadata.Values)
        {
            Assert.Equal(typeof(long), input.ElementType);
            Assert.Equal(["batch", "sequence"], input.SymbolicDimensions);
        }
        Assert.Equal(["sentence_logits", "token_logits"], session.OutputNames);
        Assert.Equal([-1, tiny.SentenceLabels.Count], session.OutputMetadata["sentence_logits"].Dimensions);
        Assert.Equal([-1, -1, tiny.TokenLabels.Count], session.OutputMetadata["token_logits"].Dimensions);

        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal(tiny.SentenceLabels.Labels, JsonSerializer.Deserialize<string[]>(metadata[OnnxExport.SentenceLabelsKey]));
        Assert.Equal(tiny.TokenLabels.Labels, JsonSerializer.Deserialize<string[]>(metadata[OnnxExport.TokenLabelsKey]));
    }

    [Fact]
    public void ACrfModelOutputsItsEmissionsAndItsScoresForDecodingOutsideTheGraph()
    {
        using var tiny = new TinyExportModel(tokenHead: CudaBert.Model.Bert.TokenHead.Crf);
        string path = Path.Combine(tiny.Folder, "model.onnx");
        OnnxExport.Write(path, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels);

        using var session = new InferenceSession(path);
        Assert.Equal(["sentence_logits", "token_logits", "crf_transitions", "crf_start_transitions", "crf_end_transitions"], session.OutputNames);
        int tags = tiny.TokenLabels.Count;
        Assert.Equal([tags, tags], session.OutputMetadata["crf_transitions"].Dimensions);
        Assert.Equal("crf", session.ModelMetadata.CustomMetadataMap[OnnxExport.TokenHeadKey]);

        var (_, tokens) = TinyExportModel.Forward(tiny.Model);
        var (_, ortTokens) = RunOnnxRuntime(path);
        AssertClose(tokens, ortTokens, "token_logits");
        long[] shape = [TinyExportModel.Batch, TinyExportModel.Sequence];
        long[] Flat(long[][] rows) => rows.SelectMany(r => r).ToArray();
        using var ids = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.InputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.AttentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.TokenTypeIds), shape);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types },
            ["crf_transitions", "crf_start_transitions", "crf_end_transitions"]);
        var crf = tiny.Model.Crf!;
        Assert.Equal(crf.Transitions.ToArray<float>(), outputs[0].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal(crf.StartTransitions.ToArray<float>(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
        Assert.Equal(crf.EndTransitions.ToArray<float>(), outputs[2].GetTensorDataAsSpan<float>().ToArray());
    }

    internal static void AssertClose(float[] ours, float[] onnxRuntime, string output)
    {
        double scale = ours.Max(v => Math.Abs((double)v));
        double worst = ours.Select((v, i) => Math.Abs((double)v - onnxRuntime[i])).Max();
        Assert.True(scale > 0.1, $"{output}: logits of size {scale:G3} are too small to test against");
        Assert.True(worst <= RelativeBound * scale, $"{output}: ONNX Runtime differs by {worst:E3}, {worst / scale:E2} of the largest logit {scale:G4}");
    }

    static (float[] Sentence, float[] Tokens) RunOnnxRuntime(string path)
    {
        using var session = new InferenceSession(path);
        long[] shape = [TinyExportModel.Batch, TinyExportModel.Sequence];
        long[] Flat(long[][] rows) => rows.SelectMany(r => r).ToArray();
        using var ids = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.InputIds), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.AttentionMask), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Flat(TinyExportModel.TokenTypeIds), shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, ["sentence_logits", "token_logits"]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray());
    }
}
