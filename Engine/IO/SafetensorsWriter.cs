using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CudaBert.Engine.IO;

/// <summary>
/// Collects named tensors and writes them as one safetensors file.
/// <para>Order: tensors are laid out, and listed in the header, by element size descending and then
/// by name (ordinal), as the reference implementation does: with the header padded to a multiple of
/// 8 bytes, every tensor then starts at an offset that is a multiple of its element size, so a reader
/// may reinterpret the mapped bytes in place. "__metadata__", when present, comes first, its keys
/// sorted. The output depends only on the tensors added, not on the order they were added in.</para>
/// <para>The header is padded with spaces (valid JSON whitespace) to a multiple of 8 bytes. The file is
/// written to a temporary file beside the target and renamed over it, so a crash never leaves a
/// half-written checkpoint under the real name.</para>
/// </summary>
public sealed class SafetensorsWriter
{
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    sealed record Entry(string Name, SafetensorsDType DType, long[] Shape, ReadOnlyMemory<byte> Data);

    /// <summary>Free-form string metadata written under "__metadata__" (omitted when empty).</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Number of tensors added so far.</summary>
    public int Count => _entries.Count;

    /// <summary>
    /// Adds a tensor given as raw little-endian bytes of <paramref name="dtype"/>. The bytes are not
    /// copied: keep them unchanged until <see cref="Save"/> returns.
    /// </summary>
    public void Add(string name, SafetensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == SafetensorsHeader.MetadataKey)
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for metadata, not a tensor name", nameof(name));
        if (_entries.ContainsKey(name))
            throw new ArgumentException($"tensor '{name}' was already added", nameof(name));
        long expected = dtype.SizeOf();
        foreach (long d in shape)
        {
            if (d < 0) throw new ArgumentException($"tensor '{name}': shape [{string.Join(", ", shape)}] has a negative dimension", nameof(shape));
            expected = checked(expected * d);
        }
        if (expected != data.Length)
            throw new ArgumentException(
                $"tensor '{name}': shape [{string.Join(", ", shape)}] of {dtype.HeaderName()} needs {expected} bytes, got {data.Length}", nameof(data));
        _entries.Add(name, new Entry(name, dtype, (long[])shape.Clone(), data));
    }

    /// <summary>Adds a float32 tensor (copied).</summary>
    public void Add(string name, long[] shape, ReadOnlySpan<float> values) =>
        Add(name, SafetensorsDType.F32, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds a float64 tensor (copied).</summary>
    public void Add(string name, long[] shape, ReadOnlySpan<double> values) =>
        Add(name, SafetensorsDType.F64, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds an int32 tensor (copied).</summary>
    public void Add(string name, long[] shape, ReadOnlySpan<int> values) =>
        Add(name, SafetensorsDType.I32, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds an int64 tensor (copied).</summary>
    public void Add(string name, long[] shape, ReadOnlySpan<long> values) =>
        Add(name, SafetensorsDType.I64, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>Adds float32 values stored as BF16, each rounded to the nearest bfloat16 (ties to even).</summary>
    public void AddBFloat16(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var bits = new ushort[values.Length];
        for (int i = 0; i < values.Length; i++) bits[i] = SafetensorsConversions.ToBFloat16Bits(values[i]);
        Add(name, SafetensorsDType.BF16, shape, MemoryMarshal.AsBytes(bits.AsSpan()).ToArray());
    }

    /// <summary>Adds float32 values stored as F16, each rounded to the nearest half (ties to even).</summary>
    public void AddFloat16(string name, long[] shape, ReadOnlySpan<float> values)
    {
        var halves = new Half[values.Length];
        for (int i = 0; i < values.Length; i++) halves[i] = (Half)values[i];
        Add(name, SafetensorsDType.F16, shape, MemoryMarshal.AsBytes(halves.AsSpan()).ToArray());
    }

    /// <summary>Writes the file atomically (temporary file in the same folder, then rename).</summary>
    public void Save(string path)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this writer assumes a little-endian machine");

        var ordered = _entries.Values
            .OrderByDescending(e => e.DType.SizeOf())
            .ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        byte[] header = BuildHeader(ordered);

        string fullPath = System.IO.Path.GetFullPath(path);
        string temporary = fullPath + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var entry in ordered) stream.Write(entry.Data.Span);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes.</summary>
    byte[] BuildHeader(List<Entry> ordered)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps non-ASCII names readable (UTF-8), as the reference writer does.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal))
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var entry in ordered)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (long d in entry.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + entry.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += entry.Data.Length;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }
}
