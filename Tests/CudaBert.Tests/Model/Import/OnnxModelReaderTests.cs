using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Model.Import;

public class OnnxModelReaderTests
{
    [Fact]
    public void ReadsWhatTheOfficialOnnxPackageWrote()
    {
        var model = OnnxModelReader.Parse(TinyOnnxFixture.OnnxBytes(), "tiny-linear.onnx");
        var reference = TinyOnnxFixture.Reference();

        Assert.Equal(reference.GetProperty("producer")[0].GetString(), model.ProducerName);
        Assert.Equal(reference.GetProperty("producer")[1].GetString(), model.ProducerVersion);
        Assert.Equal([new OnnxOpset("", 13)], model.Opsets);

        var nodes = reference.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(nodes.Count, model.Graph.Nodes.Count);
        for (int i = 0; i < nodes.Count; i++)
        {
            Assert.Equal(nodes[i].GetProperty("name").GetString(), model.Graph.Nodes[i].Name);
            Assert.Equal(nodes[i].GetProperty("op_type").GetString(), model.Graph.Nodes[i].OpType);
            Assert.Equal(nodes[i].GetProperty("inputs").EnumerateArray().Select(e => e.GetString()), model.Graph.Nodes[i].Inputs);
            Assert.Equal(nodes[i].GetProperty("outputs").EnumerateArray().Select(e => e.GetString()), model.Graph.Nodes[i].Outputs);
        }

        var initializers = reference.GetProperty("initializers").EnumerateArray().ToList();
        Assert.Equal(initializers.Count, model.Graph.Initializers.Count);
        foreach (var (expected, actual) in initializers.Zip(model.Graph.Initializers))
        {
            Assert.Equal(expected.GetProperty("name").GetString(), actual.Name);
            Assert.Equal(expected.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()), actual.Dims);
            Assert.Equal(expected.GetProperty("raw").GetBoolean(), actual.HasRawData);
            var values = expected.GetProperty("values").EnumerateArray();
            if (actual.DataType == OnnxDataType.Float)
                Assert.Equal(values.Select(v => (float)v.GetDouble()), actual.ToFloat32()); // each double is a float32 exactly
            else
                Assert.Equal(values.Select(v => v.GetInt64()), actual.ToInt64());
        }
    }

    [Fact]
    public void ReadsAttributesAndTypedGraphInputsAndOutputs()
    {
        var graph = OnnxModelReader.Parse(TinyOnnxFixture.OnnxBytes(), "tiny-linear.onnx").Graph;

        var constant = graph.Nodes.Single(n => n.OpType == "Constant").Attribute("value")!.Tensor!;
        Assert.Equal([0.5f], constant.ToFloat32());
        Assert.Empty(constant.Dims);
        Assert.Equal(0, graph.Nodes.Single(n => n.OpType == "Gather").Attribute("axis")!.Int);
        Assert.Equal([1L, 0L], graph.Nodes.Single(n => n.OpType == "Transpose").Attribute("perm")!.Ints);

        var input = Assert.Single(graph.Inputs);
        Assert.Equal(("ids", OnnxDataType.Int64), (input.Name, input.ElementType));
        Assert.Equal(["batch"], input.Dims);
        Assert.Equal(["?", "1"], graph.Outputs.Single().Dims);
        Assert.Equal(OnnxDataType.Float, graph.Outputs.Single().ElementType);
    }

    [Fact]
    public void TruncatedFileIsRefusedWithAnOffset()
    {
        byte[] bytes = TinyOnnxFixture.OnnxBytes();
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelReader.Parse(bytes.AsMemory(0, bytes.Length / 2), "half.onnx"));
        Assert.Contains("protobuf 'half.onnx', byte ", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x3A, 0xFF, 0x01 }, "byte 1: a length of 255 bytes runs past the end of the message (0 bytes remain)")]
    [InlineData(new byte[] { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01 }, "a varint longer than 10 bytes")]
    [InlineData(new byte[] { 0x08 }, "the message ends inside a varint")]
    [InlineData(new byte[] { 0x4B }, "unsupported wire type 3")]
    [InlineData(new byte[] { 0x08, 0x07 }, "the model has no graph")]
    [InlineData(new byte[] { 0x0A, 0x00 }, "ModelProto.ir_version has wire type 2, expected 0")]
    public void MalformedBytesAreRefusedNamingTheProblem(byte[] bytes, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => OnnxModelReader.Parse(bytes, "bad.onnx"));
        Assert.Contains("protobuf 'bad.onnx'", error.Message);
        Assert.Contains(problem, error.Message);
    }
}
