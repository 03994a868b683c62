using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace CudaBert.Tests.TorchParity;

/// <summary>
/// Just enough of a safetensors reader for the committed fixtures (F64, F32, I64, little-endian):
/// an 8-byte little-endian header length, a JSON header of name → {dtype, shape, data_offsets}
/// plus "__metadata__", then the data area. The fixtures are small, so the whole file is read.
/// It is private to these tests so that a bug in the engine's own reader cannot hide behind them.
/// </summary>
internal sealed class MinimalSafetensorsReader
{
    private sealed record Entry(string DType, int[] Shape, long Begin, long End);

    private readonly byte[] data;
    private readonly Dictionary<string, Entry> entries = new(StringComparer.Ordinal);

    public MinimalSafetensorsReader(string path)
    {
        Path = path;
        byte[] file = File.ReadAllBytes(path);
        if (file.Length < 8) throw new InvalidDataException($"{path}: {file.Length} bytes, fewer than the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8))
            throw new InvalidDataException($"{path}: header length {headerLength} goes beyond the file ({file.Length} bytes)");
        data = file[(8 + (int)headerLength)..];

        using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
        foreach (var property in header.RootElement.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var item in property.Value.EnumerateObject())
                    Metadata[item.Name] = item.Value.GetString() ?? "";
                continue;
            }
            var offsets = property.Value.GetProperty("data_offsets");
            var entry = new Entry(
                property.Value.GetProperty("dtype").GetString()!,
                property.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
                offsets[0].GetInt64(), offsets[1].GetInt64());
            if (entry.Begin < 0 || entry.End < entry.Begin || entry.End > data.Length)
                throw new InvalidDataException($"{path}: tensor '{property.Name}' has data_offsets [{entry.Begin}, {entry.End}) outside the {data.Length}-byte data area");
            entries.Add(property.Name, entry);
        }
    }

    public string Path { get; }

    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    public bool Contains(string name) => entries.ContainsKey(name);

    public int[] Shape(string name) => Get(name).Shape;

    /// <summary>"F64", "F32" or "I64": the dtype the file stores the tensor in.</summary>
    public string DType(string name) => Get(name).DType;

    public double[] ReadFloat64(string name) => Read<double>(name, "F64");

    public float[] ReadFloat32(string name) => Read<float>(name, "F32");

    public long[] ReadInt64(string name) => Read<long>(name, "I64");

    private T[] Read<T>(string name, string dtype) where T : unmanaged
    {
        var entry = Get(name);
        if (entry.DType != dtype)
            throw new InvalidDataException($"{Path}: tensor '{name}' is {entry.DType}, read as {dtype}");
        long count = entry.Shape.Aggregate(1L, (n, d) => n * d);
        if ((entry.End - entry.Begin) != count * Marshal.SizeOf<T>())
            throw new InvalidDataException($"{Path}: tensor '{name}' [{string.Join(", ", entry.Shape)}] {dtype} needs {count * Marshal.SizeOf<T>()} bytes, data_offsets give {entry.End - entry.Begin}");
        return MemoryMarshal.Cast<byte, T>(data.AsSpan((int)entry.Begin, (int)(entry.End - entry.Begin))).ToArray();
    }

    private Entry Get(string name) =>
        entries.TryGetValue(name, out var entry) ? entry : throw new KeyNotFoundException($"{Path} has no tensor '{name}'");
}
