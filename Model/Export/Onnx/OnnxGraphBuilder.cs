using System.Runtime.InteropServices;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Export.Onnx;

/// <summary>
/// Collects the nodes and initializers of an ONNX graph in the order they are added (which is then a
/// topological order: a node can only name values that already exist). Each node has one output,
/// named after the node; constants that are not trained parameters (shapes, axes, 0.5 in GELU) become
/// Constant nodes, so the initializers are exactly the model's weights.
/// </summary>
public sealed class OnnxGraphBuilder
{
    readonly List<OnnxNode> _nodes = [];
    readonly List<OnnxTensor> _initializers = [];
    readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>
    /// Adds <paramref name="opType"/> applied to <paramref name="inputs"/> and returns its output's
    /// name, <paramref name="name"/> (made unique with a number when taken).
    /// </summary>
    public string Node(string opType, string name, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        string output = Unique(name);
        _nodes.Add(new OnnxNode(output, opType, "", inputs, [output], attributes));
        return output;
    }

    /// <summary>A float32 weight, stored as raw little-endian bytes under <paramref name="name"/>.</summary>
    public string Weight(string name, long[] dims, float[] values)
    {
        if (values.LongLength != dims.Aggregate(1L, (product, d) => product * d))
            throw new ArgumentException($"ONNX weight '{name}': {values.Length} values do not fill [{string.Join(", ", dims)}]");
        if (!_names.Add(name)) throw new ArgumentException($"ONNX graph: the value name '{name}' is already taken");
        _initializers.Add(FloatTensor(name, dims, values));
        return name;
    }

    /// <summary>A float32 scalar (rank 0) from a Constant node.</summary>
    public string Scalar(string name, float value) =>
        Node("Constant", name, [], NodeAttribute.Tensor("value", FloatTensor("", [], [value])));

    /// <summary>An int64 scalar (rank 0) from a Constant node.</summary>
    public string Scalar(string name, long value) =>
        Node("Constant", name, [], NodeAttribute.Tensor("value", Int64Tensor([], [value])));

    /// <summary>A 1-D int64 constant (a shape, a list of axes) from a Constant node.</summary>
    public string Int64s(string name, params long[] values) =>
        Node("Constant", name, [], NodeAttribute.Tensor("value", Int64Tensor([values.Length], values)));

    /// <summary>The graph with its inputs and outputs; every output must be a value of the graph.</summary>
    public OnnxGraph Build(string name, IReadOnlyList<OnnxValueInfo> inputs, IReadOnlyList<OnnxValueInfo> outputs)
    {
        foreach (var output in outputs)
            if (!_names.Contains(output.Name))
                throw new InvalidOperationException($"ONNX graph '{name}': output '{output.Name}' is not produced by any node");
        return new OnnxGraph(name, _nodes.ToArray(), _initializers.ToArray(), inputs, outputs);
    }

    /// <summary>Reserves a value name that the graph's caller provides (a graph input).</summary>
    public string Input(string name) => _names.Add(name) ? name : throw new ArgumentException($"ONNX graph: the value name '{name}' is already taken");

    string Unique(string name)
    {
        if (_names.Add(name)) return name;
        for (int i = 1; ; i++)
            if (_names.Add($"{name}_{i}")) return $"{name}_{i}";
    }

    static OnnxTensor FloatTensor(string name, long[] dims, float[] values) =>
        new(name, OnnxDataType.Float, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), HasRawData: true, [], [], [], SourceOffset: 0);

    static OnnxTensor Int64Tensor(long[] dims, long[] values) =>
        new("", OnnxDataType.Int64, dims, MemoryMarshal.AsBytes(values.AsSpan()).ToArray(), HasRawData: true, [], [], [], SourceOffset: 0);

    /// <summary>Node attributes of each kind the export uses.</summary>
    public static class NodeAttribute
    {
        /// <summary>An INT attribute.</summary>
        public static OnnxAttribute Int(string name, long value) => new(name, null, value, null, [], null);
        /// <summary>A FLOAT attribute.</summary>
        public static OnnxAttribute Float(string name, float value) => new(name, value, null, null, [], null);
        /// <summary>An INTS attribute.</summary>
        public static OnnxAttribute Ints(string name, params long[] values) => new(name, null, null, null, values, null);
        /// <summary>A TENSOR attribute.</summary>
        public static OnnxAttribute Tensor(string name, OnnxTensor value) => new(name, null, null, null, [], value);
    }
}
