using System.Runtime.InteropServices;

namespace CudaBert.Engine.IO;

/// <summary>
/// Safetensors files as named <see cref="Tensor"/>s: reading a file into tensors, writing tensors
/// (e.g. a module's <c>NamedParameters()</c>) to a file. The bytes go through
/// <see cref="SafetensorsFile"/> and <see cref="SafetensorsWriter"/>; this class only chooses dtypes.
/// <para>Dtypes when reading: F64 → Float64; F32, F16, BF16 → Float32; I64 → Int64; I32, U8, BOOL
/// → Int32. A BF16 or F16 tensor read as BFloat16 or Float16 keeps its bytes; F32 (and the others)
/// read as BFloat16 or Float16 is rounded to nearest even. Or ask for a dtype of the same family with <see cref="Read(SafetensorsFile, string, DType, Device)"/>.
/// Tensors are created like any other, so inside a <see cref="Memory.TensorScope"/> they belong to it.</para>
/// </summary>
public static class SafetensorsTensors
{
    /// <summary>Every tensor of a file, by name, in header order, with the natural dtype (see class remarks).</summary>
    public static Dictionary<string, Tensor> Load(string path, Device device = Device.Cpu)
    {
        using var file = SafetensorsFile.Open(path);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in file.Tensors)
                tensors.Add(info.Name, file.Read(info.Name, NaturalDType(info.DType), device));
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>One tensor of an open file, converted to <paramref name="dtype"/> (floating to floating, integer to integer).</summary>
    public static Tensor Read(this SafetensorsFile file, string name, DType dtype, Device device = Device.Cpu)
    {
        var info = file.GetInfo(name);
        var shape = ToShape(file, info);
        if (StoredAs(dtype) == info.DType)
            return FromStoredBytes(file.GetBytes(name), shape, dtype, device); // same layout: one copy, from the mapped file
        return dtype switch
        {
            DType.Float32 => Tensor.FromArray(file.ReadFloat32(name), shape, device: device),
            // From float64, which holds every stored floating value exactly: one rounding, never two.
            DType.BFloat16 => Tensor.FromArray(Array.ConvertAll(file.ReadFloat64(name), BFloat16.FromDouble), shape, device),
            DType.Float16 => Tensor.FromArray(Array.ConvertAll(file.ReadFloat64(name), v => (Half)v), shape, device),
            DType.Float64 => Tensor.FromArray(file.ReadFloat64(name), shape, device: device),
            DType.Int32 => Tensor.FromArray(file.ReadInt32(name), shape, device),
            DType.Int64 => Tensor.FromArray(file.ReadInt64(name), shape, device),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors conversion to this dtype"),
        };
    }

    static Tensor FromStoredBytes(ReadOnlySpan<byte> bytes, Shape shape, DType dtype, Device device) => dtype switch
    {
        DType.Float32 => Tensor.FromSpan(MemoryMarshal.Cast<byte, float>(bytes), shape, device: device),
        DType.Float64 => Tensor.FromSpan(MemoryMarshal.Cast<byte, double>(bytes), shape, device: device),
        DType.Int32 => Tensor.FromSpan(MemoryMarshal.Cast<byte, int>(bytes), shape, device: device),
        DType.Int64 => Tensor.FromSpan(MemoryMarshal.Cast<byte, long>(bytes), shape, device: device),
        DType.BFloat16 => Tensor.FromSpan(MemoryMarshal.Cast<byte, BFloat16>(bytes), shape, device: device),
        _ => Tensor.FromSpan(MemoryMarshal.Cast<byte, Half>(bytes), shape, device: device),
    };

    /// <summary>The safetensors dtype whose bytes are those of a <paramref name="dtype"/> tensor.</summary>
    static SafetensorsDType StoredAs(DType dtype) => dtype switch
    {
        DType.Float32 => SafetensorsDType.F32,
        DType.Float64 => SafetensorsDType.F64,
        DType.Int32 => SafetensorsDType.I32,
        DType.Int64 => SafetensorsDType.I64,
        DType.BFloat16 => SafetensorsDType.BF16,
        DType.Float16 => SafetensorsDType.F16,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors counterpart"),
    };

    /// <summary>The dtype <see cref="Load"/> gives a tensor stored as <paramref name="stored"/>.</summary>
    public static DType NaturalDType(SafetensorsDType stored) => stored switch
    {
        SafetensorsDType.F64 => DType.Float64,
        SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 => DType.Float32,
        SafetensorsDType.I64 => DType.Int64,
        _ => DType.Int32,
    };

    /// <summary>
    /// Writes named tensors (any device; their values are copied to the host) with their own dtypes:
    /// Float32 → F32, Float64 → F64, Int32 → I32, Int64 → I64, BFloat16 → BF16, Float16 → F16 (bytes as
    /// they are). The write is atomic (see <see cref="SafetensorsWriter"/>).
    /// </summary>
    public static void Save(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) writer.Metadata[key] = value;
        foreach (var (name, tensor) in tensors)
        {
            long[] shape = [.. tensor.Shape.ToArray().Select(d => (long)d)];
            switch (tensor.DType)
            {
                case DType.Float32: writer.Add(name, shape, tensor.ToArray<float>()); break;
                case DType.Float64: writer.Add(name, shape, tensor.ToArray<double>()); break;
                case DType.Int32: writer.Add(name, shape, tensor.ToArray<int>()); break;
                case DType.Int64: writer.Add(name, shape, tensor.ToArray<long>()); break;
                case DType.BFloat16: writer.Add(name, SafetensorsDType.BF16, shape, MemoryMarshal.AsBytes(tensor.ToArray<BFloat16>().AsSpan()).ToArray()); break;
                case DType.Float16: writer.Add(name, SafetensorsDType.F16, shape, MemoryMarshal.AsBytes(tensor.ToArray<Half>().AsSpan()).ToArray()); break;
                default: throw new ArgumentException($"tensor '{name}': dtype {tensor.DType} has no safetensors counterpart", nameof(tensors));
            }
        }
        writer.Save(path);
    }

    static Shape ToShape(SafetensorsFile file, SafetensorsTensorInfo info)
    {
        var dims = new int[info.Shape.Length];
        for (int i = 0; i < dims.Length; i++)
            dims[i] = info.Shape[i] <= int.MaxValue
                ? (int)info.Shape[i]
                : throw new NotSupportedException(
                    $"safetensors file '{file.Path}', tensor '{info.Name}': dimension {i} of {info.ShapeText} exceeds a tensor's int32 dimension");
        return new Shape(dims);
    }
}
