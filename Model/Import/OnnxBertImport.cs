using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Import;

/// <summary>
/// The result of reading a BERT out of an ONNX export: the config read off the graph, the parameters
/// under Hugging Face names in PyTorch layout, and the initializers that were not parameters.
/// Every initializer of the graph is in exactly one of <see cref="Parameters"/> and <see cref="Skipped"/>.
/// </summary>
public sealed record OnnxBertImport(BertConfig Config, IReadOnlyList<ImportedTensor> Parameters, IReadOnlyList<SkippedInitializer> Skipped, int InitializerCount)
{
    /// <summary>Parses ONNX bytes and maps the BERT in them. <paramref name="source"/> names the bytes in errors.</summary>
    public static OnnxBertImport FromOnnx(ReadOnlyMemory<byte> onnx, string source)
    {
        var model = OnnxModelReader.Parse(onnx, source);
        var index = new OnnxGraphIndex(model.Graph);
        var (parameters, skipped) = OnnxBertWeightMapper.Map(index);
        var config = OnnxBertConfigReader.Read(index, parameters);
        return new OnnxBertImport(config, parameters, skipped, model.Graph.Initializers.Count);
    }
}
