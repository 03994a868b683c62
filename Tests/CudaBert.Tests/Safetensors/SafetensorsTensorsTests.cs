using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Engine.Nn;

namespace CudaBert.Tests.Safetensors;

public class SafetensorsTensorsTests
{
    [Fact]
    public void TensorsOfEveryDtypeRoundTrip()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("tensors.safetensors");
        using var scope = Tensor.Scope();
        var f32 = Tensor.FromArray([1.5f, -2, 3, 4, 5, 6], [2, 3]);
        var f64 = Tensor.FromArray([0.1, 0.2], [2]);
        var i32 = Tensor.FromArray([7, -8, 9], [3, 1]);
        var i64 = Tensor.FromArray([1L << 40], [1]);
        SafetensorsTensors.Save(path, [("a", f32), ("b", f64), ("c", i32), ("d", i64)], new Dictionary<string, string> { ["format"] = "pt" });

        var loaded = SafetensorsTensors.Load(path);
        Assert.Equal(["b", "d", "a", "c"], loaded.Keys); // header order: by element size (8-byte F64, I64 first), then by name
        AssertSame(f32, loaded["a"]);
        AssertSame(f64, loaded["b"]);
        AssertSame(i32, loaded["c"]);
        AssertSame(i64, loaded["d"]);
    }

    [Fact]
    public void HalfPrecisionLoadsAsFloat32AndDtypeCanBeChosen()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("half.safetensors");
        Half[] halves = [(Half)0.5f, (Half)(-3)];
        var writer = new SafetensorsWriter();
        writer.Add("h", SafetensorsDType.F16, [2], MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
        writer.Add("ids", SafetensorsDType.U8, [2], new byte[] { 4, 250 });
        writer.Save(path);

        using var scope = Tensor.Scope();
        var loaded = SafetensorsTensors.Load(path);
        Assert.Equal(DType.Float32, loaded["h"].DType);
        Assert.Equal([0.5f, -3f], loaded["h"].ToArray<float>());
        Assert.Equal(DType.Int32, loaded["ids"].DType);
        Assert.Equal([4, 250], loaded["ids"].ToArray<int>());

        using var file = SafetensorsFile.Open(path);
        Assert.Equal([0.5, -3.0], file.Read("h", DType.Float64).ToArray<double>());
        Assert.Equal([4L, 250L], file.Read("ids", DType.Int64).ToArray<long>());
    }

    [Fact]
    public void HalfPrecisionTensorsRoundTripWithTheirBytes()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("half-precision.safetensors");
        using var scope = Tensor.Scope();
        var bf16 = Tensor.FromArray([new BFloat16(0x3F80), new BFloat16(0xC049), new BFloat16(0x0001), new BFloat16(0x7FC1)], [2, 2]);
        var f16 = Tensor.FromArray([(Half)0.5f, (Half)(-65504f), BitConverter.UInt16BitsToHalf(0x0001)], [3]);
        SafetensorsTensors.Save(path, [("w", bf16), ("h", f16)]);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(SafetensorsDType.BF16, file.GetInfo("w").DType);
        Assert.Equal(SafetensorsDType.F16, file.GetInfo("h").DType);
        Assert.Equal(bf16.ToArray<BFloat16>(), file.Read("w", DType.BFloat16).ToArray<BFloat16>());   // NaN payload included: bytes as they are
        Assert.Equal(f16.ToArray<Half>().Select(BitConverter.HalfToUInt16Bits), file.Read("h", DType.Float16).ToArray<Half>().Select(BitConverter.HalfToUInt16Bits));
        Assert.Equal([1f, -3.140625f, MathF.Pow(2, -133)], file.Read("w", DType.Float32).ToArray<float>()[..3]);   // widened exactly
    }

    [Fact]
    public void BFloat16FileWrittenByHandReadsAsItsBits()
    {
        // A file assembled byte by byte, not by our writer: 8-byte little-endian header length, the JSON
        // header, then the data: two BF16 values 0x3F80 (1.0) and 0xC0A0 (−5.0), little-endian.
        using var folder = new TemporaryFolder();
        string path = folder.File("by-hand.safetensors");
        byte[] header = "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}"u8.ToArray();
        byte[] length = BitConverter.GetBytes((ulong)header.Length);
        File.WriteAllBytes(path, [.. length, .. header, 0x80, 0x3F, 0xA0, 0xC0]);

        using var scope = Tensor.Scope();
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([(ushort)0x3F80, (ushort)0xC0A0], file.Read("x", DType.BFloat16).ToArray<BFloat16>().Select(v => v.Bits));
        Assert.Equal([1f, -5f], file.Read("x", DType.Float32).ToArray<float>());
        Assert.Equal([(Half)1f, (Half)(-5f)], file.Read("x", DType.Float16).ToArray<Half>());
    }

    [Fact]
    public void Float32ReadAsBFloat16IsRoundedToNearestEven()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("f32.safetensors");
        using var scope = Tensor.Scope();
        // 1 + 2⁻⁸ is a bfloat16 tie (to even: 1.0 = 0x3F80); 1 + 3·2⁻⁸ a tie to 0x3F82; 1 + 2⁻⁸ + 2⁻²³ rounds up to 0x3F81.
        float[] values = [1 + MathF.Pow(2, -8), 1 + 3 * MathF.Pow(2, -8), 1 + MathF.Pow(2, -8) + MathF.Pow(2, -23)];
        SafetensorsTensors.Save(path, [("x", Tensor.FromArray(values, [3]))]);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal([(ushort)0x3F80, (ushort)0x3F82, (ushort)0x3F81], file.Read("x", DType.BFloat16).ToArray<BFloat16>().Select(v => v.Bits));
    }

    [Fact]
    public void ModuleParametersSaveUnderTheirDottedNames()
    {
        using var folder = new TemporaryFolder();
        string path = folder.File("layer.safetensors");
        using var layer = new LayerNorm(3, 1e-12);
        SafetensorsTensors.Save(path, layer.NamedParameters("encoder.layer.0.output.LayerNorm."));

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(layer.NamedParameters("encoder.layer.0.output.LayerNorm.").Select(p => p.Name).Order(StringComparer.Ordinal),
            file.Tensors.Select(t => t.Name));
        foreach (var (name, parameter) in layer.NamedParameters("encoder.layer.0.output.LayerNorm."))
            Assert.Equal(parameter.ToArray<float>(), file.ReadFloat32(name));
    }

    static void AssertSame(Tensor expected, Tensor actual)
    {
        Assert.Equal(expected.DType, actual.DType);
        Assert.Equal(expected.Shape, actual.Shape);
        Assert.Equal(expected.ToDoubleArray(), actual.ToDoubleArray());
    }
}
