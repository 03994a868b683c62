using CudaBert.Model.Export;
using CudaBert.Model.Inference;

namespace CudaBert.Tests.Parity.Export;

/// <summary>samples/OnnxPredict (docs/export.md's C# block) on an exported model gives our own prediction.</summary>
public class OnnxSampleTests
{
    [Theory]
    [InlineData("play some music by queen")]
    [InlineData("book a table for two in paris tonight")]
    [InlineData("queen")]
    public void TheSamplePredictsTheIntentOurPipelinePredicts(string text)
    {
        using var tiny = new TinyExportModel();
        string path = Path.Combine(tiny.Folder, "model.onnx");
        OnnxExport.Write(path, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels);
        using var pipeline = TwoTaskPipeline.Load(tiny.CheckpointFolder);
        string ours = pipeline.Predict([text])[0].Intent;

        // The tokenizer.json an export writes (docs/export.md: exported/encoder/tokenizer.json).
        string exported = Path.Combine(tiny.Folder, "exported");
        HuggingFaceExport.Write(exported, tiny.Model, tiny.SentenceLabels, tiny.TokenLabels, tiny.CheckpointFolder, overwrite: false);
        string tokenizerJson = Path.Combine(exported, HuggingFaceExport.EncoderFolder, "tokenizer.json");

        string onnx = Samples.OnnxPredict.Program.Run(path, tokenizerJson, text);

        Assert.Equal(ours, onnx);
    }
}
