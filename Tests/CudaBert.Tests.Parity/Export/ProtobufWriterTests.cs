using CudaBert.Model.Export.Onnx;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Tests.Parity.Export;

/// <summary>
/// The writer's bytes against the worked examples of the protobuf encoding guide (150 as a varint,
/// "testing", a packed [3, 270, 86942], an embedded message), and a negative int64 (ten bytes, two's
/// complement); then our reader reads each back.
/// </summary>
public class ProtobufWriterTests
{
    static string Hex(ProtobufWriter writer) => Convert.ToHexString(writer.ToArray());

    [Fact]
    public void FieldsAreEncodedAsTheGuideShows()
    {
        var varint = new ProtobufWriter();
        varint.WriteInt64(1, 150);
        Assert.Equal("089601", Hex(varint));

        var text = new ProtobufWriter();
        text.WriteString(2, "testing");
        Assert.Equal("120774657374696E67", Hex(text));

        var packed = new ProtobufWriter();
        packed.WritePackedInt64(4, [3, 270, 86942]);
        Assert.Equal("2206038E029EA705", Hex(packed));

        var outer = new ProtobufWriter();
        outer.WriteMessage(3, varint);
        Assert.Equal("1A03089601", Hex(outer));

        var negative = new ProtobufWriter();
        negative.WriteInt64(1, -1);
        Assert.Equal("08FFFFFFFFFFFFFFFFFF01", Hex(negative));

        var single = new ProtobufWriter();
        single.WriteFloat(5, 1f);
        Assert.Equal("2D0000803F", Hex(single));
    }

    [Fact]
    public void TheReaderReadsEachFieldBack()
    {
        var writer = new ProtobufWriter();
        writer.WriteInt64(1, -7);
        writer.WriteFloat(2, -2.5f);
        writer.WriteString(3, "ß∑");
        writer.WritePackedInt64(4, [0, 1, long.MaxValue, long.MinValue]);

        var reader = new ProtobufReader(writer.ToArray(), 0, "written");
        Assert.True(reader.TryReadKey(out int field, out var wire));
        Assert.Equal((1, WireType.Varint, -7L), (field, wire, reader.ReadInt64()));
        Assert.True(reader.TryReadKey(out field, out wire));
        Assert.Equal((2, WireType.Fixed32, -2.5f), (field, wire, reader.ReadFloat()));
        Assert.True(reader.TryReadKey(out field, out wire));
        Assert.Equal((3, WireType.LengthDelimited, "ß∑"), (field, wire, reader.ReadString()));
        Assert.True(reader.TryReadKey(out field, out wire));
        var values = new List<long>();
        reader.ReadRepeatedInt64(wire, values);
        Assert.Equal([0, 1, long.MaxValue, long.MinValue], values);
        Assert.False(reader.TryReadKey(out _, out _));
    }
}
