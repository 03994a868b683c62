using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace CudaBert.Engine.IO;

/// <summary>
/// A safetensors file opened for reading. The file is memory-mapped, so opening a large checkpoint
/// reads only its header; a tensor's bytes are paged in when they are first touched. Everything is
/// validated on open (see <see cref="SafetensorsHeader"/>): afterwards every byte range is known to
/// lie inside the file as it was then. A file that another process truncates afterwards (a copy
/// written over it) would make the mapped pages vanish, and touching them kills the process; so
/// every access first checks the file's current length and refuses a tensor that is no longer all
/// there. Spans returned by <see cref="GetBytes"/> are valid until <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class SafetensorsFile : IDisposable
{
    readonly FileStream _stream;
    readonly MemoryMappedFile _map;
    readonly MemoryMappedViewAccessor _view;
    readonly byte* _dataStart;
    readonly Dictionary<string, SafetensorsTensorInfo> _byName;
    bool _disposed;

    SafetensorsFile(string path, FileStream stream, MemoryMappedFile map, MemoryMappedViewAccessor view, byte* dataStart, long dataOffset, SafetensorsHeader header)
    {
        Path = path;
        _stream = stream;
        _map = map;
        _view = view;
        _dataStart = dataStart;
        DataOffset = dataOffset;
        Header = header;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file's path, as given to <see cref="Open"/>.</summary>
    public string Path { get; }

    /// <summary>Absolute file offset of the data area (8 + header length).</summary>
    public long DataOffset { get; }

    /// <summary>The validated header.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => Header.Tensors;

    /// <summary>The "__metadata__" entries, empty when there are none.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Header.Metadata;

    /// <summary>Opens, maps and validates a safetensors file.</summary>
    /// <exception cref="SafetensorsFormatException">The file is malformed; the message names file, tensor and offset.</exception>
    public static SafetensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        long fileLength = stream.Length;
        if (fileLength < 8)
        {
            stream.Dispose();
            throw new SafetensorsFormatException(path, null, 0, $"the file has {fileLength} bytes, fewer than the 8-byte header length");
        }

        var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            acquired = true;
            start += view.PointerOffset;

            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(start, 8));
            if (headerLength > (ulong)(fileLength - 8))
                throw new SafetensorsFormatException(path, null, 0,
                    $"the header length {headerLength} goes beyond the end of the file ({fileLength} bytes, so at most {fileLength - 8})");
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new SafetensorsFormatException(path, null, 0,
                    $"the header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit");

            long dataOffset = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(new ReadOnlySpan<byte>(start + 8, (int)headerLength), fileLength - dataOffset, path);
            return new SafetensorsFile(path, stream, map, view, start + dataOffset, dataOffset, header);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Whether the file holds a tensor of that name.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of a tensor.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name (the message names the file).</exception>
    public SafetensorsTensorInfo GetInfo(string name) =>
        _byName.TryGetValue(name, out var info)
            ? info
            : throw new KeyNotFoundException($"safetensors file '{Path}' has no tensor '{name}'");

    /// <summary>The raw little-endian bytes of a tensor, straight from the mapped file (no copy).</summary>
    public ReadOnlySpan<byte> GetBytes(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = GetInfo(name);
        if (info.ByteLength > int.MaxValue)
            throw new NotSupportedException(
                $"safetensors file '{Path}', tensor '{name}', byte {DataOffset + info.DataBegin}: {info.ByteLength} bytes exceed the 2 GiB a span can address");
        long length = RandomAccess.GetLength(_stream.SafeFileHandle);
        if (DataOffset + info.DataEnd > length)
            throw new SafetensorsFormatException(Path, name, DataOffset + info.DataBegin,
                $"the file shrank to {length} bytes after it was opened, and the tensor ends at byte {DataOffset + info.DataEnd}");
        return new ReadOnlySpan<byte>(_dataStart + info.DataBegin, (int)info.ByteLength);
    }

    /// <summary>A floating tensor (F32, F16, BF16 or F64) as float32.</summary>
    public float[] ReadFloat32(string name)
    {
        var info = InfoForConversion(name, toFloating: true, "float32");
        var values = new float[info.ElementCount];
        SafetensorsConversions.ToFloat32(info.DType, GetBytes(name), values);
        return values;
    }

    /// <summary>A floating tensor (F64, F32, F16 or BF16) as float64.</summary>
    public double[] ReadFloat64(string name)
    {
        var info = InfoForConversion(name, toFloating: true, "float64");
        var values = new double[info.ElementCount];
        SafetensorsConversions.ToFloat64(info.DType, GetBytes(name), values);
        return values;
    }

    /// <summary>An integer or BOOL tensor (I64, I32, U8, BOOL) as int64.</summary>
    public long[] ReadInt64(string name)
    {
        var info = InfoForConversion(name, toFloating: false, "int64");
        var values = new long[info.ElementCount];
        SafetensorsConversions.ToInt64(info.DType, GetBytes(name), values);
        return values;
    }

    /// <summary>An integer or BOOL tensor as int32; an I64 element outside the int32 range is an error naming it.</summary>
    public int[] ReadInt32(string name)
    {
        var info = InfoForConversion(name, toFloating: false, "int32");
        var values = new int[info.ElementCount];
        long badIndex = SafetensorsConversions.ToInt32(info.DType, GetBytes(name), values);
        if (badIndex >= 0)
            throw new OverflowException(
                $"safetensors file '{Path}', tensor '{name}', byte {DataOffset + info.DataBegin + badIndex * 8}: element {badIndex} does not fit in an int32");
        return values;
    }

    /// <summary>
    /// The entry of a tensor about to be converted, after checking that its dtype family matches the
    /// target (floating to floating, integer/BOOL to integer) and that it fits in one array.
    /// </summary>
    SafetensorsTensorInfo InfoForConversion(string name, bool toFloating, string target)
    {
        var info = GetInfo(name);
        if (info.DType.IsFloating() != toFloating)
            throw new InvalidOperationException(
                $"safetensors file '{Path}', tensor '{name}' is {info.DType.HeaderName()} {info.ShapeText}: " +
                $"{(toFloating ? "an integer" : "a floating")} dtype is not converted to {target}");
        if (info.ElementCount > Array.MaxLength)
            throw new NotSupportedException(
                $"safetensors file '{Path}', tensor '{name}': {info.ElementCount} elements exceed an array's capacity");
        return info;
    }

    /// <summary>Unmaps the file and closes it; spans obtained from it must not be used afterwards. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
        _stream.Dispose();
    }
}
