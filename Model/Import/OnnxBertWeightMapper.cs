using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Import;

/// <summary>
/// Turns the initializers of a BERT exported from PyTorch to ONNX into Hugging Face-named parameters
/// in PyTorch layout.
/// <para>What the exporter does to the names: parameters used directly (embeddings, LayerNorm,
/// biases, the pooler's Gemm weight) keep their PyTorch names; but each Linear weight used through a
/// MatMul is stored pre-transposed as an anonymous initializer ("927") of shape [in, out], because
/// the export computes x·Wᵀ as MatMul(x, Wᵀ) and folds the transpose into the constant.</para>
/// <para>How the names come back: such a MatMul feeds an Add whose other input is the Linear's bias,
/// which did keep its name ("encoder.layer.0.attention.self.query.bias"); the weight is then the same
/// name with ".weight", transposed back to PyTorch's [out, in].</para>
/// <para>Every initializer ends up either as a parameter or in the skipped list with a reason;
/// anything the mapper does not understand is an error, never a silent leftover.</para>
/// </summary>
public static class OnnxBertWeightMapper
{
    /// <summary>Maps all initializers of the graph.</summary>
    /// <exception cref="InvalidDataException">An initializer cannot be mapped; the message names it and the nodes concerned.</exception>
    public static (List<ImportedTensor> Parameters, List<SkippedInitializer> Skipped) Map(OnnxGraphIndex index)
    {
        var parameters = new List<ImportedTensor>();
        var skipped = new List<SkippedInitializer>();
        var sources = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var tensor in index.Graph.Initializers)
        {
            switch (tensor.DataType)
            {
                case OnnxDataType.Int64 or OnnxDataType.Int32:
                    skipped.Add(new SkippedInitializer(tensor.Name, DescribeIntegerConstant(index, tensor)));
                    continue;
                case OnnxDataType.Float:
                    var parameter = IsHuggingFaceName(tensor.Name) ? FromNamed(index, tensor) : FromAnonymousMatMulWeight(index, tensor);
                    if (!sources.TryAdd(parameter.Name, tensor.Name))
                        throw new InvalidDataException(
                            $"ONNX initializers '{sources[parameter.Name]}' and '{tensor.Name}' both map to parameter '{parameter.Name}'");
                    parameters.Add(parameter);
                    continue;
                default:
                    throw new InvalidDataException(
                        $"ONNX initializer '{tensor.Name}' (byte {tensor.SourceOffset}) has element type {tensor.DataType}; a BERT export holds Float weights and Int64 constants");
            }
        }
        return (parameters, skipped);
    }

    /// <summary>Names like "encoder.layer.0.output.dense.bias" (optionally with a "bert." prefix).</summary>
    static bool IsHuggingFaceName(string name) =>
        name.Contains('.') && (name.EndsWith(".weight", StringComparison.Ordinal) || name.EndsWith(".bias", StringComparison.Ordinal));

    static string WithoutModelPrefix(string name) => name.StartsWith("bert.", StringComparison.Ordinal) ? name["bert.".Length..] : name;

    /// <summary>
    /// A named initializer keeps its name. Its layout is decided by how the graph uses it: as the B
    /// operand of a MatMul, or of a Gemm without transB, it is stored [in, out] and is transposed.
    /// </summary>
    static ImportedTensor FromNamed(OnnxGraphIndex index, OnnxTensor tensor)
    {
        bool storedInputMajor = index.Consumers(tensor.Name).Any(node =>
            node.Inputs.Count > 1 && node.Inputs[1] == tensor.Name &&
            (node.OpType == "MatMul" || (node.OpType == "Gemm" && (node.Attribute("transB")?.Int ?? 0) == 0)));
        return storedInputMajor
            ? Transposed(WithoutModelPrefix(tensor.Name), tensor)
            : new ImportedTensor(WithoutModelPrefix(tensor.Name), tensor.Dims, tensor.ToFloat32(), tensor.Name, Transposed: false);
    }

    /// <summary>An anonymous weight: MatMul(x, W) → Add(·, "<i>prefix</i>.bias") names it "<i>prefix</i>.weight".</summary>
    static ImportedTensor FromAnonymousMatMulWeight(OnnxGraphIndex index, OnnxTensor tensor)
    {
        var consumers = index.Consumers(tensor.Name);
        if (consumers is not [{ OpType: "MatMul" } matMul] || matMul.Inputs.Count != 2 || matMul.Outputs.Count != 1 ||
            matMul.Inputs[1] != tensor.Name || tensor.Dims.Length != 2)
            throw new InvalidDataException(
                $"ONNX initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] is anonymous and is not the 2-D weight operand of one MatMul " +
                $"(used by: {Describe(consumers)}); its Hugging Face name cannot be recovered");

        var adds = index.Consumers(matMul.Outputs[0]);
        if (adds is not [{ OpType: "Add" } add])
            throw new InvalidDataException(
                $"ONNX initializer '{tensor.Name}': MatMul '{matMul.Name}' should feed one bias Add, but feeds {Describe(adds)}");
        string? bias = add.Inputs.FirstOrDefault(i => i != matMul.Outputs[0] && index.Initializers.ContainsKey(i));
        if (bias is null || !bias.EndsWith(".bias", StringComparison.Ordinal))
            throw new InvalidDataException(
                $"ONNX initializer '{tensor.Name}': Add '{add.Name}' after MatMul '{matMul.Name}' has no named bias initializer (inputs: {string.Join(", ", add.Inputs)})");

        string name = WithoutModelPrefix(bias[..^".bias".Length] + ".weight");
        long outFeatures = index.Initializers[bias].ElementCount;
        if (tensor.Dims[1] != outFeatures)
            throw new InvalidDataException(
                $"ONNX initializer '{tensor.Name}' [{string.Join(", ", tensor.Dims)}] → '{name}': its output size {tensor.Dims[1]} differs from bias '{bias}' ({outFeatures})");
        return Transposed(name, tensor);
    }

    /// <summary>[in, out] row-major → [out, in] row-major: out[o, i] = w[i, o].</summary>
    static ImportedTensor Transposed(string name, OnnxTensor tensor)
    {
        if (tensor.Dims.Length != 2)
            throw new InvalidDataException($"ONNX initializer '{tensor.Name}' is used as a matrix but has shape [{string.Join(", ", tensor.Dims)}]");
        if (tensor.Dims.Any(d => d > int.MaxValue))
            throw new InvalidDataException($"ONNX initializer '{tensor.Name}' has a dimension beyond int32: [{string.Join(", ", tensor.Dims)}]");
        float[] source = tensor.ToFloat32();
        int rows = (int)tensor.Dims[0], columns = (int)tensor.Dims[1];
        var result = new float[source.Length];
        for (int i = 0; i < rows; i++)
            for (int o = 0; o < columns; o++)
                result[o * rows + i] = source[i * columns + o];
        return new ImportedTensor(name, [columns, rows], result, tensor.Name, Transposed: true);
    }

    /// <summary>Why an integer initializer is not a parameter.</summary>
    static string DescribeIntegerConstant(OnnxGraphIndex index, OnnxTensor tensor)
    {
        if (tensor.Name.EndsWith("position_ids", StringComparison.Ordinal))
            return "the position-ids buffer (0, 1, 2, ...): not a trained parameter, Hugging Face rebuilds it";
        var users = index.Consumers(tensor.Name).Select(n => n.OpType).Distinct().Order().ToList();
        return $"an integer constant of the exported graph's shape arithmetic (used by {(users.Count == 0 ? "no node" : string.Join(", ", users))})";
    }

    static string Describe(IReadOnlyList<OnnxNode> nodes) =>
        nodes.Count == 0 ? "nothing" : string.Join(", ", nodes.Select(n => $"{n.OpType} '{n.Name}'"));
}
