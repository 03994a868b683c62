namespace CudaBert.Model.Import.Onnx;

// The subset of onnx.proto that the importer reads and the exporter writes. Field numbers are in
// OnnxModelReader and OnnxModelWriter.

/// <summary>ModelProto: the file's top-level message; <see cref="Metadata"/> is its metadata_props (free key/value text).</summary>
public sealed record OnnxModel(long IrVersion, string ProducerName, string ProducerVersion, IReadOnlyList<OnnxOpset> Opsets, OnnxGraph Graph,
    IReadOnlyDictionary<string, string> Metadata);

/// <summary>OperatorSetIdProto: an operator domain ("" is the default ONNX domain) and its version.</summary>
public sealed record OnnxOpset(string Domain, long Version);

/// <summary>GraphProto: nodes in topological order, the constant tensors (initializers), inputs and outputs.</summary>
public sealed record OnnxGraph(
    string Name,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs);

/// <summary>NodeProto: one operator application; inputs and outputs are value names.</summary>
public sealed record OnnxNode(string Name, string OpType, string Domain, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute> Attributes)
{
    /// <summary>The attribute of that name, or null.</summary>
    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>AttributeProto, reduced to the value kinds the importer needs (float, int, string, ints, tensor).</summary>
public sealed record OnnxAttribute(string Name, float? Float, long? Int, string? String, IReadOnlyList<long> Ints, OnnxTensor? Tensor);

/// <summary>ValueInfoProto: a graph input or output with its element type and shape (a dimension is a number or a name).</summary>
public sealed record OnnxValueInfo(string Name, OnnxDataType ElementType, IReadOnlyList<string> Dims);
