using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Export;
using CudaBert.Model.Import;
using CudaBert.Tests.Parity.Import;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// The ONNX export at full size: the pretrained MiniLM encoder (6 layers, 12 heads, hidden 384, its
/// 30522-token vocabulary) with two random heads, run by ONNX Runtime on a padded batch of real
/// sentences and compared with our forward. Same bound as the tiny model; measured 9.8e-7 (sentence) and
/// 9.3e-7 (token) of the largest logit.
/// </summary>
[Collection(MiniLmImportCollection.Name)]
public class MiniLmOnnxExportTests(MiniLmImportFixture fixture)
{
    [Fact]
    public void OnnxRuntimeReproducesOurForwardOnRealSentences()
    {
        var sentenceLabels = new LabelSet(["AddToPlaylist", "BookRestaurant", "GetWeather", "PlayMusic"]);
        var tokenLabels = new LabelSet(["O", "B-artist", "I-artist", "B-city", "B-party_size", "B-timeRange"]);
        using var model = MultiTaskBert.FromPretrained(fixture.Folder, sentenceLabels.Count, tokenLabels.Count, seed: 5);
        TinyExportModel.Randomise(model, seed: 6, which: name => !name.StartsWith(BertWeights.EncoderPrefix, StringComparison.Ordinal));
        model.Eval();
        var batch = HuggingFaceModelFolder.LoadTokenizer(fixture.Folder).EncodeBatch(
            ["play the latest album by daft punk", "book a table for four in paris at eight tonight", "will it rain?"]);
        Assert.Contains(0, batch.AttentionMask);
        int rows = batch.BatchSize, length = batch.SequenceLength;

        float[] sentence, tokens;
        using (Tensor.Scope())
        using (GradMode.NoGrad())
        {
            var output = model.Forward(Tensor.FromArray(batch.InputIds, [rows, length]),
                Tensor.FromArray(batch.AttentionMask.Select(m => (float)m).ToArray(), [rows, length]), Tensor.FromArray(batch.TypeIds, [rows, length]));
            sentence = output.SentenceLogits.ToFloatArray();
            tokens = output.TokenLogits.ToFloatArray();
        }

        using var session = new InferenceSession(Model.Export.Onnx.OnnxModelWriter.Write(OnnxExport.Build(model, sentenceLabels, tokenLabels)));
        long[] shape = [rows, length];
        using var ids = OrtValue.CreateTensorValueFromMemory(batch.InputIds.Select(i => (long)i).ToArray(), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(batch.AttentionMask.Select(m => (long)m).ToArray(), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(batch.TypeIds.Select(t => (long)t).ToArray(), shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, ["sentence_logits", "token_logits"]);

        OnnxExportRuntimeTests.AssertClose(sentence, outputs[0].GetTensorDataAsSpan<float>().ToArray(), "sentence_logits");
        OnnxExportRuntimeTests.AssertClose(tokens, outputs[1].GetTensorDataAsSpan<float>().ToArray(), "token_logits");
    }
}
