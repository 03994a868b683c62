using System.Globalization;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Export.Onnx;

/// <summary>
/// The twin of <see cref="OnnxModelReader"/>: serialises an <see cref="OnnxModel"/> to the bytes of an
/// ONNX file. Field numbers are those of onnx.proto (in comments next to each write); fields the model
/// records do not hold (doc strings, value_info for intermediate values) are not written.
/// </summary>
public static class OnnxModelWriter
{
    /// <summary>The whole file.</summary>
    public static byte[] Write(OnnxModel model)
    {
        var file = new ProtobufWriter();
        file.WriteInt64(1, model.IrVersion);                        // ModelProto.ir_version
        if (model.ProducerName.Length > 0) file.WriteString(2, model.ProducerName);
        if (model.ProducerVersion.Length > 0) file.WriteString(3, model.ProducerVersion);
        file.WriteMessage(7, Graph(model.Graph));                   // ModelProto.graph
        foreach (var opset in model.Opsets)
        {
            var entry = new ProtobufWriter();                       // OperatorSetIdProto { domain = 1, version = 2 }
            if (opset.Domain.Length > 0) entry.WriteString(1, opset.Domain);
            entry.WriteInt64(2, opset.Version);
            file.WriteMessage(8, entry);                            // ModelProto.opset_import
        }
        foreach (var (key, value) in model.Metadata)
        {
            var entry = new ProtobufWriter();                       // StringStringEntryProto { key = 1, value = 2 }
            entry.WriteString(1, key);
            entry.WriteString(2, value);
            file.WriteMessage(14, entry);                           // ModelProto.metadata_props
        }
        return file.ToArray();
    }

    static ProtobufWriter Graph(OnnxGraph graph)
    {
        var message = new ProtobufWriter();
        foreach (var node in graph.Nodes) message.WriteMessage(1, Node(node));              // GraphProto.node
        message.WriteString(2, graph.Name);                                                  // GraphProto.name
        foreach (var tensor in graph.Initializers) message.WriteMessage(5, Tensor(tensor));  // GraphProto.initializer
        foreach (var input in graph.Inputs) message.WriteMessage(11, ValueInfo(input));      // GraphProto.input
        foreach (var output in graph.Outputs) message.WriteMessage(12, ValueInfo(output));   // GraphProto.output
        return message;
    }

    static ProtobufWriter Node(OnnxNode node)
    {
        var message = new ProtobufWriter();
        foreach (string input in node.Inputs) message.WriteString(1, input);                 // NodeProto.input
        foreach (string output in node.Outputs) message.WriteString(2, output);              // NodeProto.output
        if (node.Name.Length > 0) message.WriteString(3, node.Name);                         // NodeProto.name
        message.WriteString(4, node.OpType);                                                 // NodeProto.op_type
        foreach (var attribute in node.Attributes) message.WriteMessage(5, Attribute(attribute)); // NodeProto.attribute
        if (node.Domain.Length > 0) message.WriteString(7, node.Domain);                     // NodeProto.domain
        return message;
    }

    /// <summary>
    /// AttributeProto { name = 1, f = 2, i = 3, s = 4, t = 5, ints = 8, type = 20 }. The record holds one
    /// kind of value; its AttributeType (FLOAT 1, INT 2, STRING 3, TENSOR 4, INTS 7) is written with it.
    /// </summary>
    static ProtobufWriter Attribute(OnnxAttribute attribute)
    {
        var message = new ProtobufWriter();
        message.WriteString(1, attribute.Name);
        if (attribute.Float is { } f) { message.WriteFloat(2, f); message.WriteInt64(20, 1); }
        else if (attribute.Int is { } i) { message.WriteInt64(3, i); message.WriteInt64(20, 2); }
        else if (attribute.String is { } s) { message.WriteString(4, s); message.WriteInt64(20, 3); }
        else if (attribute.Tensor is { } t) { message.WriteMessage(5, Tensor(t)); message.WriteInt64(20, 4); }
        else { message.WritePackedInt64(8, attribute.Ints); message.WriteInt64(20, 7); }
        return message;
    }

    /// <summary>TensorProto { dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8, raw_data = 9, double_data = 10 }.</summary>
    static ProtobufWriter Tensor(OnnxTensor tensor)
    {
        var message = new ProtobufWriter();
        if (tensor.Dims.Length > 0) message.WritePackedInt64(1, tensor.Dims);
        message.WriteInt64(2, (long)tensor.DataType);
        if (tensor.Name.Length > 0) message.WriteString(8, tensor.Name);
        if (tensor.HasRawData) message.WriteBytes(9, tensor.RawData.Span);
        else if (tensor.Int64Data.Length > 0) message.WritePackedInt64(7, tensor.Int64Data);
        else if (tensor.FloatData.Length > 0 || tensor.DoubleData.Length > 0)
            throw new NotSupportedException($"ONNX tensor '{tensor.Name}': write float and double values as raw_data");
        return message;
    }

    /// <summary>
    /// ValueInfoProto { name = 1, type = 2 } → TypeProto { tensor_type = 1 } → TypeProto.Tensor { elem_type = 1,
    /// shape = 2 } → TensorShapeProto { dim = 1 } → Dimension { dim_value = 1 | dim_param = 2 }. A dimension
    /// given as a number is fixed; any other text names a dimension chosen at run time ("batch").
    /// </summary>
    static ProtobufWriter ValueInfo(OnnxValueInfo info)
    {
        var shape = new ProtobufWriter();
        foreach (string dim in info.Dims)
        {
            var dimension = new ProtobufWriter();
            if (long.TryParse(dim, NumberStyles.None, CultureInfo.InvariantCulture, out long size)) dimension.WriteInt64(1, size);
            else dimension.WriteString(2, dim);
            shape.WriteMessage(1, dimension);
        }
        var tensorType = new ProtobufWriter();
        tensorType.WriteInt64(1, (long)info.ElementType);
        tensorType.WriteMessage(2, shape);
        var type = new ProtobufWriter();
        type.WriteMessage(1, tensorType);

        var message = new ProtobufWriter();
        message.WriteString(1, info.Name);
        message.WriteMessage(2, type);
        return message;
    }
}
