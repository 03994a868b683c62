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
