using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.Safetensors;

public class SafetensorsRoundTripTests
{
    [Fact]
    public void Float32RoundTripsBitExactWithShapeAndMetadata()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("f32.safetensors");
        float[] values = [1.5f, -0f, float.Epsilon, float.MaxValue, float.NegativeInfinity, 3.14159274f];
        var writer = new SafetensorsWriter();
        writer.Add("w", [2, 3], values);
        writer.Metadata["format"] = "pt";
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        var info = file.GetInfo("w");
        Assert.Equal(SafetensorsDType.F32, info.DType);
        Assert.Equal([2L, 3L], info.Shape);
        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), file.ReadFloat32("w").Select(BitConverter.SingleToInt32Bits));
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Float64RoundTripsAndNarrowsToNearestFloat32()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("f64.safetensors");
        double[] values = [0.1, -2.5, 1e300, 1.0 + 1e-12];
        var writer = new SafetensorsWriter();
        writer.Add("d", [4], values);
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(values, file.ReadFloat64("d"));
        Assert.Equal(values.Select(v => (float)v), file.ReadFloat32("d"));
    }

    [Fact]
    public void Float16WidensExactly()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("f16.safetensors");
        Half[] halves = [(Half)1, (Half)(-0.5f), Half.MaxValue, Half.Epsilon, (Half)0.1f];
        var writer = new SafetensorsWriter();
        writer.Add("h", SafetensorsDType.F16, [5], MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(halves.Select(h => (float)h), file.ReadFloat32("h"));
        Assert.Equal(halves.Select(h => (double)h), file.ReadFloat64("h"));
    }

    [Fact]
    public void BFloat16WidensExactly()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("bf16.safetensors");
        // Bit patterns checked by hand: 0x3F80 = 1.0, 0xC040 = -3.0, 0x3E80 = 0.25, 0x7F80 = +inf.
        ushort[] bits = [0x3F80, 0xC040, 0x3E80, 0x7F80];
        var writer = new SafetensorsWriter();
        writer.Add("b", SafetensorsDType.BF16, [2, 2], MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([1f, -3f, 0.25f, float.PositiveInfinity], file.ReadFloat32("b"));
    }

    [Fact]
    public void NarrowingWritersRoundToTheNearestRepresentableValue()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("narrow.safetensors");
        // 1 + 3·2^-8 is halfway between two bfloat16s and rounds up to 1 + 2^-6 (even mantissa) but is a half;
        // 1 + 2^-11 is halfway between two halves and rounds down to 1 (even), as it does in bfloat16;
        // 0.1 is representable in neither (bfloat16 0x3DCD: 0x3DCCCCCD rounded up).
        float[] values = [1.01171875f, 1.00048828125f, 0.1f];
        var writer = new SafetensorsWriter();
        writer.AddBFloat16("b", [3], values);
        writer.AddFloat16("h", [3], values);
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(SafetensorsDType.BF16, file.GetInfo("b").DType);
        Assert.Equal([1.015625f, 1f, BitConverter.Int32BitsToSingle(0x3DCD << 16)], file.ReadFloat32("b"));
        Assert.Equal(SafetensorsDType.F16, file.GetInfo("h").DType);
        Assert.Equal([1.01171875f, 1f, (float)(Half)0.1f], file.ReadFloat32("h"));
    }

    [Theory]
    [InlineData(1.0f, 0x3F80)]
    [InlineData(1.00390625f, 0x3F80)] // 1 + 2^-8: exactly halfway, rounds to the even mantissa (down)
    [InlineData(1.01171875f, 0x3F82)] // 1 + 3·2^-8: exactly halfway, rounds to the even mantissa (up)
    [InlineData(1.0078125f, 0x3F81)]  // 1 + 2^-7: representable
    [InlineData(-2.0f, 0xC000)]
    public void BFloat16RoundsToNearestEven(float value, int expectedBits) =>
        Assert.Equal((ushort)expectedBits, SafetensorsConversions.ToBFloat16Bits(value));

    [Fact]
    public void IntegerDtypesRoundTripAndWiden()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("ints.safetensors");
        long[] i64 = [long.MinValue, -1, 0, 1L << 40];
        int[] i32 = [int.MinValue, -7, 0, int.MaxValue];
        byte[] u8 = [0, 1, 200, 255];
        byte[] flags = [1, 0, 0, 1];
        var writer = new SafetensorsWriter();
        writer.Add("i64", [4], i64);
        writer.Add("i32", [2, 2], i32);
        writer.Add("u8", SafetensorsDType.U8, [4], u8);
        writer.Add("mask", SafetensorsDType.Bool, [4], flags);
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(i64, file.ReadInt64("i64"));
        Assert.Equal(i32, file.ReadInt32("i32"));
        Assert.Equal(i32.Select(v => (long)v), file.ReadInt64("i32"));
        Assert.Equal([0, 1, 200, 255], file.ReadInt32("u8"));
        Assert.Equal([1L, 0, 0, 1], file.ReadInt64("mask"));
        Assert.Equal(u8, file.GetBytes("u8").ToArray());
    }

    [Fact]
    public void Int64OutsideInt32RangeIsRefusedNamingTheElement()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("big.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("ids", [3], new long[] { 5, 6, 1L << 33 });
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        var error = Assert.Throws<OverflowException>(() => file.ReadInt32("ids"));
        Assert.Contains("tensor 'ids'", error.Message);
        Assert.Contains("element 2", error.Message);
        Assert.Contains($"byte {file.DataOffset + 16}", error.Message);
    }

    [Fact]
    public void ConvertingAcrossDtypeFamiliesIsRefused()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("mixed.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("weights", [1], new float[] { 1 });
        writer.Add("ids", [1], new int[] { 1 });
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Contains("tensor 'weights'", Assert.Throws<InvalidOperationException>(() => file.ReadInt32("weights")).Message);
        Assert.Contains("tensor 'ids'", Assert.Throws<InvalidOperationException>(() => file.ReadFloat32("ids")).Message);
        Assert.Contains("no tensor 'missing'", Assert.Throws<KeyNotFoundException>(() => file.GetInfo("missing")).Message);
    }

    [Fact]
    public void ScalarsAndEmptyTensorsRoundTrip()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("edge.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("scalar", [], new float[] { 42 });
        writer.Add("empty", [0, 5], ReadOnlySpan<float>.Empty);
        writer.Save(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([42f], file.ReadFloat32("scalar"));
        Assert.Empty(file.GetInfo("scalar").Shape);
        Assert.Empty(file.ReadFloat32("empty"));
        Assert.Equal([0L, 5L], file.GetInfo("empty").Shape);
    }

    [Fact]
    public void LayoutIsSortedByElementSizeThenNameWithSpacePaddedHeader()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("layout.safetensors");
        var writer = new SafetensorsWriter();
        writer.Add("z_byte", SafetensorsDType.U8, [3], new byte[] { 1, 2, 3 });
        writer.Add("b_float", [1], new float[] { 1 });
        writer.Add("a_float", [1], new float[] { 2 });
        writer.Add("c_double", [1], new double[] { 3 });
        writer.Metadata["note"] = "é"; // non-ASCII stays UTF-8
        writer.Save(path);

        byte[] bytes = File.ReadAllBytes(path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, headerLength % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        string trimmed = header.TrimEnd(' ');
        Assert.True(header.Length - trimmed.Length < 8);
        Assert.Equal(
            "{\"__metadata__\":{\"note\":\"é\"}," +
            "\"c_double\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}," +
            "\"a_float\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}," +
            "\"b_float\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}," +
            "\"z_byte\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[16,19]}}",
            trimmed);
        Assert.Equal(8 + (int)headerLength + 19, bytes.Length);
    }

    [Fact]
    public void SaveReplacesAnExistingFileAndLeavesNoTemporaryFile()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("model.safetensors");
        File.WriteAllText(path, "old content");
        var writer = new SafetensorsWriter();
        writer.Add("x", [1], new float[] { 7 });
        writer.Save(path);

        Assert.Equal([path], Directory.GetFiles(folder.Path));
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([7f], file.ReadFloat32("x"));
    }

    [Fact]
    public void WriterRefusesInconsistentInput()
    {
        var writer = new SafetensorsWriter();
        writer.Add("x", [2], new float[] { 1, 2 });
        Assert.Contains("already added", Assert.Throws<ArgumentException>(() => writer.Add("x", [1], new float[] { 1 })).Message);
        Assert.Contains("needs 12 bytes, got 8", Assert.Throws<ArgumentException>(() => writer.Add("y", [3], new float[] { 1, 2 })).Message);
        Assert.Throws<ArgumentException>(() => writer.Add("__metadata__", [1], new float[] { 1 }));
    }
}
