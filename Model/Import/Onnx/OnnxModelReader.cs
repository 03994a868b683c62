namespace CudaBert.Model.Import.Onnx;

/// <summary>
/// Parses an ONNX file into <see cref="OnnxModel"/>, reading only the fields the importer needs and
/// skipping the rest. Field numbers are those of onnx.proto (in comments next to each case).
/// Initializer bytes are not copied: <see cref="OnnxTensor.RawData"/> slices the buffer given here.
/// </summary>
public static class OnnxModelReader
{
    /// <summary>Parses a whole ONNX file held in memory. <paramref name="source"/> names it in error messages.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a well-formed ONNX model; the message gives the offset.</exception>
    public static OnnxModel Parse(ReadOnlyMemory<byte> bytes, string source)
    {
        var reader = new ProtobufReader(bytes, 0, source);
        long irVersion = 0;
        string producerName = "", producerVersion = "";
        var opsets = new List<OnnxOpset>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        OnnxGraph? graph = null;
        while (reader.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.Expect(wire, WireType.Varint, "ModelProto.ir_version"); irVersion = reader.ReadInt64(); break;
                case 2: reader.Expect(wire, WireType.LengthDelimited, "ModelProto.producer_name"); producerName = reader.ReadString(); break;
                case 3: reader.Expect(wire, WireType.LengthDelimited, "ModelProto.producer_version"); producerVersion = reader.ReadString(); break;
                case 7: reader.Expect(wire, WireType.LengthDelimited, "ModelProto.graph"); graph = ReadGraph(reader.ReadMessage()); break;
                case 8: reader.Expect(wire, WireType.LengthDelimited, "ModelProto.opset_import"); opsets.Add(ReadOpset(reader.ReadMessage())); break;
                case 14: reader.Expect(wire, WireType.LengthDelimited, "ModelProto.metadata_props"); ReadMetadataEntry(reader.ReadMessage(), metadata); break;
                default: reader.Skip(wire); break;
            }
        }
        if (graph is null) throw reader.Error(0, "the model has no graph (ModelProto field 7)");
        return new OnnxModel(irVersion, producerName, producerVersion, opsets, graph, metadata);
    }

    // StringStringEntryProto { key = 1, value = 2 }; a repeated key keeps its last value.
    static void ReadMetadataEntry(ProtobufReader reader, Dictionary<string, string> into)
    {
        string key = "", value = "";
        while (reader.TryReadKey(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) key = reader.ReadString();
            else if (field == 2 && wire == WireType.LengthDelimited) value = reader.ReadString();
            else reader.Skip(wire);
        }
        into[key] = value;
    }

    static OnnxOpset ReadOpset(ProtobufReader reader)
    {
        string domain = "";
        long version = 0;
        while (reader.TryReadKey(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) domain = reader.ReadString();
            else if (field == 2 && wire == WireType.Varint) version = reader.ReadInt64();
            else reader.Skip(wire);
        }
        return new OnnxOpset(domain, version);
    }

    static OnnxGraph ReadGraph(ProtobufReader reader)
    {
        string name = "";
        var nodes = new List<OnnxNode>();
        var initializers = new List<OnnxTensor>();
        var inputs = new List<OnnxValueInfo>();
        var outputs = new List<OnnxValueInfo>();
        while (reader.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.Expect(wire, WireType.LengthDelimited, "GraphProto.node"); nodes.Add(ReadNode(reader.ReadMessage())); break;
                case 2: reader.Expect(wire, WireType.LengthDelimited, "GraphProto.name"); name = reader.ReadString(); break;
                case 5: reader.Expect(wire, WireType.LengthDelimited, "GraphProto.initializer"); initializers.Add(ReadTensor(reader.ReadMessage())); break;
                case 11: reader.Expect(wire, WireType.LengthDelimited, "GraphProto.input"); inputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                case 12: reader.Expect(wire, WireType.LengthDelimited, "GraphProto.output"); outputs.Add(ReadValueInfo(reader.ReadMessage())); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxGraph(name, nodes, initializers, inputs, outputs);
    }

    static OnnxNode ReadNode(ProtobufReader reader)
    {
        string name = "", opType = "", domain = "";
        var inputs = new List<string>();
        var outputs = new List<string>();
        var attributes = new List<OnnxAttribute>();
        while (reader.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.input"); inputs.Add(reader.ReadString()); break;
                case 2: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.output"); outputs.Add(reader.ReadString()); break;
                case 3: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.name"); name = reader.ReadString(); break;
                case 4: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.op_type"); opType = reader.ReadString(); break;
                case 5: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.attribute"); attributes.Add(ReadAttribute(reader.ReadMessage())); break;
                case 7: reader.Expect(wire, WireType.LengthDelimited, "NodeProto.domain"); domain = reader.ReadString(); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxNode(name, opType, domain, inputs, outputs, attributes);
    }

    static OnnxAttribute ReadAttribute(ProtobufReader reader)
    {
        string name = "";
        float? f = null;
        long? i = null;
        string? s = null;
        OnnxTensor? t = null;
        var ints = new List<long>();
        while (reader.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.Expect(wire, WireType.LengthDelimited, "AttributeProto.name"); name = reader.ReadString(); break;
                case 2: reader.Expect(wire, WireType.Fixed32, "AttributeProto.f"); f = reader.ReadFloat(); break;
                case 3: reader.Expect(wire, WireType.Varint, "AttributeProto.i"); i = reader.ReadInt64(); break;
                case 4: reader.Expect(wire, WireType.LengthDelimited, "AttributeProto.s"); s = reader.ReadString(); break;
                case 5: reader.Expect(wire, WireType.LengthDelimited, "AttributeProto.t"); t = ReadTensor(reader.ReadMessage()); break;
                case 8: reader.ReadRepeatedInt64(wire, ints); break;
                default: reader.Skip(wire); break;
            }
        }
        return new OnnxAttribute(name, f, i, s, ints, t);
    }

    static OnnxTensor ReadTensor(ProtobufReader reader)
    {
        long start = reader.Offset;
        string name = "";
        var dataType = OnnxDataType.Undefined;
        var dims = new List<long>();
        var floats = new List<float>();
        var int64s = new List<long>();
        var doubles = new List<double>();
        ReadOnlyMemory<byte> raw = default;
        bool hasRaw = false;
        while (reader.TryReadKey(out int field, out var wire))
        {
            switch (field)
            {
                case 1: reader.ReadRepeatedInt64(wire, dims); break;
                case 2: reader.Expect(wire, WireType.Varint, "TensorProto.data_type"); dataType = (OnnxDataType)reader.ReadInt64(); break;
                case 4: reader.ReadRepeatedFloat(wire, floats); break;
                case 7: reader.ReadRepeatedInt64(wire, int64s); break;
                case 8: reader.Expect(wire, WireType.LengthDelimited, "TensorProto.name"); name = reader.ReadString(); break;
                case 9: reader.Expect(wire, WireType.LengthDelimited, "TensorProto.raw_data"); raw = reader.ReadLengthDelimited().Bytes; hasRaw = true; break;
                case 10: reader.ReadRepeatedDouble(wire, doubles); break;
                case 14:
                    reader.Expect(wire, WireType.Varint, "TensorProto.data_location");
                    if (reader.ReadInt64() == 1)
                        throw reader.Error(start, $"tensor '{name}' keeps its data in an external file, which this reader does not follow");
                    break;
                default: reader.Skip(wire); break;
            }
        }
        if (dims.Any(d => d < 0))
            throw reader.Error(start, $"tensor '{name}' has a negative dimension [{string.Join(", ", dims)}]");
        return new OnnxTensor(name, dataType, dims.ToArray(), raw, hasRaw, floats.ToArray(), int64s.ToArray(), doubles.ToArray(), start);
    }

    static OnnxValueInfo ReadValueInfo(ProtobufReader reader)
    {
        string name = "";
        var elementType = OnnxDataType.Undefined;
        var dims = new List<string>();
        while (reader.TryReadKey(out int field, out var wire))
        {
            if (field == 1 && wire == WireType.LengthDelimited) name = reader.ReadString();
            else if (field == 2 && wire == WireType.LengthDelimited) ReadTensorType(reader.ReadMessage(), ref elementType, dims);
            else reader.Skip(wire);
        }
        return new OnnxValueInfo(name, elementType, dims);
    }

    // TypeProto { tensor_type = 1 } → TypeProto.Tensor { elem_type = 1, shape = 2 } → TensorShapeProto { dim = 1 }
    // → Dimension { dim_value = 1 | dim_param = 2 }.
    static void ReadTensorType(ProtobufReader type, ref OnnxDataType elementType, List<string> dims)
    {
        while (type.TryReadKey(out int field, out var wire))
        {
            if (field != 1 || wire != WireType.LengthDelimited) { type.Skip(wire); continue; }
            var tensor = type.ReadMessage();
            while (tensor.TryReadKey(out int tf, out var tw))
            {
                if (tf == 1 && tw == WireType.Varint) elementType = (OnnxDataType)tensor.ReadInt64();
                else if (tf == 2 && tw == WireType.LengthDelimited)
                {
                    var shape = tensor.ReadMessage();
                    while (shape.TryReadKey(out int sf, out var sw))
                    {
                        if (sf != 1 || sw != WireType.LengthDelimited) { shape.Skip(sw); continue; }
                        var dim = shape.ReadMessage();
                        string text = "?";
                        while (dim.TryReadKey(out int df, out var dw))
                        {
                            if (df == 1 && dw == WireType.Varint) text = dim.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
                            else if (df == 2 && dw == WireType.LengthDelimited) text = dim.ReadString();
                            else dim.Skip(dw);
                        }
                        dims.Add(text);
                    }
                }
                else tensor.Skip(tw);
            }
        }
    }
}
