using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Import;

/// <summary>
/// Look-ups over an ONNX graph for walking it: which node produces a value, which nodes consume it,
/// which values are initializers, and the value of a scalar constant.
/// </summary>
public sealed class OnnxGraphIndex
{
    readonly Dictionary<string, OnnxNode> _producers = new(StringComparer.Ordinal);
    readonly Dictionary<string, List<OnnxNode>> _consumers = new(StringComparer.Ordinal);

    /// <summary>Indexes every node's inputs and outputs and every initializer of <paramref name="graph"/>.</summary>
    /// <exception cref="InvalidDataException">Two initializers share a name.</exception>
    public OnnxGraphIndex(OnnxGraph graph)
    {
        Graph = graph;
        Initializers = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializers)
            if (!Initializers.TryAdd(tensor.Name, tensor))
                throw new InvalidDataException($"ONNX graph: two initializers are named '{tensor.Name}'");
        foreach (var node in graph.Nodes)
        {
            foreach (string output in node.Outputs) _producers[output] = node;
            foreach (string input in node.Inputs.Where(i => i.Length > 0))
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    /// <summary>The graph the look-ups answer for.</summary>
    public OnnxGraph Graph { get; }

    /// <summary>Initializers by name.</summary>
    public Dictionary<string, OnnxTensor> Initializers { get; }

    /// <summary>The node whose output is <paramref name="value"/>, or null for graph inputs and initializers.</summary>
    public OnnxNode? Producer(string value) => _producers.GetValueOrDefault(value);

    /// <summary>The nodes that read <paramref name="value"/>.</summary>
    public IReadOnlyList<OnnxNode> Consumers(string value) => _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>
    /// The value of a one-element FLOAT constant: an initializer, or the output of a Constant node
    /// (whose "value" attribute holds the tensor). False for anything else.
    /// </summary>
    public bool TryScalarConstant(string value, out float scalar)
    {
        scalar = 0;
        OnnxTensor? tensor = Initializers.GetValueOrDefault(value);
        if (tensor is null && Producer(value) is { OpType: "Constant" } constant)
            tensor = constant.Attribute("value")?.Tensor;
        if (tensor is not { DataType: OnnxDataType.Float } || tensor.ElementCount != 1) return false;
        scalar = tensor.ToFloat32()[0];
        return true;
    }
}
