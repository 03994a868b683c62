using CudaBert.Model.Bert;
using CudaBert.Model.Export;
using CudaBert.Model.Export.Onnx;
using CudaBert.Model.Import;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// Our ONNX reader and importer read the exported file back: the writer is the reader's twin, and the
/// importer recovers every parameter (names, PyTorch layout, values) and the config from the graph.
/// </summary>
public class OnnxExportRoundTripTests
{
    [Fact]
    public void TheReaderReadsBackWhatTheWriterWrote()
    {
        using var tiny = new TinyExportModel();
        var model = OnnxExport.Build(tiny.Model, tiny.SentenceLabels, tiny.TokenLabels);
        var read = OnnxModelReader.Parse(OnnxModelWriter.Write(model), "exported");

        Assert.Equal(model.IrVersion, read.IrVersion);
        Assert.Equal(model.ProducerName, read.ProducerName);
        Assert.Equal(model.Opsets, read.Opsets);
        Assert.Equal(model.Metadata, read.Metadata);
        Assert.Equal(model.Graph.Inputs.Select(Describe), read.Graph.Inputs.Select(Describe));
        Assert.Equal(model.Graph.Outputs.Select(Describe), read.Graph.Outputs.Select(Describe));
        Assert.Equal(model.Graph.Nodes.Count, read.Graph.Nodes.Count);
        for (int i = 0; i < model.Graph.Nodes.Count; i++)
        {
            OnnxNode written = model.Graph.Nodes[i], back = read.Graph.Nodes[i];
            Assert.Equal((written.Name, written.OpType), (back.Name, back.OpType));
            Assert.Equal(written.Inputs, back.Inputs);
            Assert.Equal(written.Outputs, back.Outputs);
            Assert.Equal(written.Attributes.Select(a => (a.Name, a.Float, a.Int, string.Join(",", a.Ints), a.Tensor?.ElementCount)),
                back.Attributes.Select(a => (a.Name, a.Float, a.Int, string.Join(",", a.Ints), a.Tensor?.ElementCount)));
        }
        Assert.Equal(model.Graph.Initializers.Select(t => (t.Name, string.Join(",", t.Dims), Convert.ToHexString(t.RawData.Span))),
            read.Graph.Initializers.Select(t => (t.Name, string.Join(",", t.Dims), Convert.ToHexString(t.RawData.Span))));
    }

    [Fact]
    public void OurImporterRecoversEveryParameterAndTheConfig()
    {
        using var tiny = new TinyExportModel();
        var import = OnnxBertImport.FromOnnx(OnnxModelWriter.Write(OnnxExport.Build(tiny.Model, tiny.SentenceLabels, tiny.TokenLabels)), "exported");

        // The importer names the encoder as a bare BertModel does (no "bert."); the heads keep their names.
        var expected = tiny.Model.NamedParameters().ToDictionary(
            p => p.Name.StartsWith(BertWeights.EncoderPrefix, StringComparison.Ordinal) ? p.Name[BertWeights.EncoderPrefix.Length..] : p.Name,
            p => p.Parameter);
        Assert.Empty(import.Skipped);
        Assert.Equal(expected.Keys.Order(), import.Parameters.Select(p => p.Name).Order());
        foreach (var parameter in import.Parameters)
        {
            var original = expected[parameter.Name];
            Assert.Equal(original.Shape.ToArray().Select(d => (long)d), parameter.Shape);
            Assert.Equal(original.ToFloatArray(), parameter.Values);
        }

        var config = tiny.Model.Config;
        Assert.Equal((config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.VocabSize,
                config.MaxPositionEmbeddings, config.TypeVocabSize, config.LayerNormEps, config.HiddenAct),
            (import.Config.HiddenSize, import.Config.NumHiddenLayers, import.Config.NumAttentionHeads, import.Config.IntermediateSize, import.Config.VocabSize,
                import.Config.MaxPositionEmbeddings, import.Config.TypeVocabSize, import.Config.LayerNormEps, import.Config.HiddenAct));
    }

    static string Describe(OnnxValueInfo info) => $"{info.Name} {info.ElementType} [{string.Join(", ", info.Dims)}]";
}
