using System.Globalization;
using System.Text.RegularExpressions;

namespace CudaBert.Model.Import;

/// <summary>
/// Recovers a BERT's <see cref="BertConfig"/> from an exported ONNX graph and its mapped parameters,
/// so the config written next to the weights is read off the model rather than typed in:
/// sizes from parameter shapes, the layer count from the parameter names, the head count from the
/// attention's 1/√head_size scale constant, layer_norm_eps from the constant added to the variance
/// in the embeddings' LayerNorm, and the activation from the presence of Erf (exact GELU).
/// </summary>
public static partial class OnnxBertConfigReader
{
    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();

    /// <exception cref="InvalidDataException">The graph does not have the expected BERT structure; the message says what is missing.</exception>
    public static BertConfig Read(OnnxGraphIndex index, IReadOnlyList<ImportedTensor> parameters)
    {
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        // A size read off a 2-D parameter's shape, checked to be a matrix with a dimension that fits an int.
        int Dim(string name, int axis)
        {
            if (!byName.TryGetValue(name, out var p))
                throw new InvalidDataException($"ONNX BERT import: parameter '{name}' is missing, so the config cannot be read off the graph");
            if (p.Shape.Length != 2)
                throw new InvalidDataException($"ONNX BERT import: parameter '{name}' has shape [{string.Join(", ", p.Shape)}], not a matrix");
            long size = p.Shape[axis];
            return size is > 0 and <= int.MaxValue
                ? (int)size
                : throw new InvalidDataException($"ONNX BERT import: parameter '{name}' has shape [{string.Join(", ", p.Shape)}]: dimension {axis} is out of range");
        }

        var layers = parameters
            .Select(p => LayerIndex().Match(p.Name))
            .Where(m => m.Success)
            .Select(m => int.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int layer) ? layer
                : throw new InvalidDataException($"ONNX BERT import: layer index '{m.Groups[1].Value}' is out of range"))
            .Distinct().Order().ToList();
        if (layers.Count == 0 || layers[^1] != layers.Count - 1)
            throw new InvalidDataException($"ONNX BERT import: encoder layer indices are not 0..N-1 (found {string.Join(", ", layers)})");

        int hidden = Dim("embeddings.word_embeddings.weight", 1), vocabulary = Dim("embeddings.word_embeddings.weight", 0);
        int positions = Dim("embeddings.position_embeddings.weight", 0), types = Dim("embeddings.token_type_embeddings.weight", 0);
        int intermediate = Dim("encoder.layer.0.intermediate.dense.weight", 0);
        int headSize = ReadHeadSize(index);
        if (hidden % headSize != 0)
            throw new InvalidDataException($"ONNX BERT import: hidden size {hidden} is not a multiple of the attention head size {headSize}");

        var config = new BertConfig
        {
            VocabSize = vocabulary,
            HiddenSize = hidden,
            MaxPositionEmbeddings = positions,
            TypeVocabSize = types,
            NumHiddenLayers = layers.Count,
            IntermediateSize = intermediate,
            NumAttentionHeads = hidden / headSize,
            LayerNormEps = ReadLayerNormEps(index),
            HiddenAct = index.Graph.Nodes.Any(n => n.OpType == "Erf")
                ? "gelu"
                : throw new InvalidDataException("ONNX BERT import: the graph has no Erf node, so its activation is not the exact GELU this importer knows"),
        };
        config.Validate("ONNX graph");
        return config;
    }

    /// <summary>
    /// The attention scores are scaled before the softmax: Softmax(Add(Div(QKᵀ, √d), mask)), or with
    /// Mul(QKᵀ, 1/√d). Returns d, the head size.
    /// </summary>
    static int ReadHeadSize(OnnxGraphIndex index)
    {
        var softmax = index.Graph.Nodes.FirstOrDefault(n => n.OpType == "Softmax" && n.Inputs.Count == 1)
            ?? throw new InvalidDataException("ONNX BERT import: the graph has no Softmax, so no attention to read the head size from");
        var frontier = new List<string> { softmax.Inputs[0] };
        for (int depth = 0; depth < 3; depth++)
        {
            var next = new List<string>();
            foreach (string value in frontier)
            {
                if (index.Producer(value) is not { } node) continue;
                if (node.OpType is "Div" or "Mul" && node.Inputs.Count == 2 && index.TryScalarConstant(node.Inputs[1], out float scale))
                {
                    double headSize = node.OpType == "Div" ? (double)scale * scale : 1.0 / ((double)scale * scale);
                    int rounded = (int)Math.Round(headSize);
                    if (rounded <= 0 || Math.Abs(headSize - rounded) > 1e-3 * rounded)
                        throw new InvalidDataException($"ONNX BERT import: attention scale {scale} ({node.OpType} '{node.Name}') is not 1/√d for an integer head size d");
                    return rounded;
                }
                next.AddRange(node.Inputs);
            }
            frontier = next;
        }
        throw new InvalidDataException($"ONNX BERT import: no constant Div/Mul scale found before Softmax '{softmax.Name}'");
    }

    /// <summary>
    /// LayerNorm exported as primitives: Mul(Div(x − mean, Sqrt(Add(variance, eps))), gamma) + beta. Walks
    /// back from the Mul by "embeddings.LayerNorm.weight" to the eps constant. A fused LayerNormalization
    /// node carries eps as its "epsilon" attribute instead.
    /// </summary>
    static double ReadLayerNormEps(OnnxGraphIndex index)
    {
        string gamma = index.Initializers.Keys.FirstOrDefault(k => k.EndsWith("embeddings.LayerNorm.weight", StringComparison.Ordinal))
            ?? throw new InvalidDataException("ONNX BERT import: no embeddings.LayerNorm.weight initializer");
        foreach (var user in index.Consumers(gamma))
        {
            if (user.OpType == "LayerNormalization")
                return ShortestDouble(user.Attribute("epsilon")?.Float ?? 1e-5f);
            if (user.OpType != "Mul") continue;
            foreach (string input in user.Inputs)
            {
                if (index.Producer(input) is not { OpType: "Div", Inputs: [_, var divisor] }) continue;
                if (index.Producer(divisor) is not { OpType: "Sqrt", Inputs: [var variance] }) continue;
                if (index.Producer(variance) is not { OpType: "Add" } add) continue;
                foreach (string term in add.Inputs)
                    if (index.TryScalarConstant(term, out float eps))
                        return ShortestDouble(eps);
            }
        }
        throw new InvalidDataException($"ONNX BERT import: the LayerNorm using '{gamma}' does not have the Div(·, Sqrt(Add(·, eps))) shape; eps not found");
    }

    /// <summary>
    /// The graph stores eps as a float32 (1e-12 becomes 9.99999996e-13); the config holds the decimal the
    /// float32 came from: the shortest decimal that rounds to the same float32.
    /// </summary>
    static double ShortestDouble(float value) => double.Parse(value.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
