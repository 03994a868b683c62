using System.Text.Json;

namespace CudaBert.Engine.IO;

/// <summary>
/// The parsed and validated JSON header of a safetensors file.
/// <para>Layout of a file: bytes [0, 8) hold N, the header length, as a little-endian uint64; bytes
/// [8, 8 + N) hold the UTF-8 JSON header, an object mapping each tensor name to
/// {"dtype", "shape", "data_offsets": [begin, end]}, plus an optional "__metadata__" object of
/// string → string; the rest of the file is the data area, and data_offsets are relative to its start.</para>
/// <para>Validation follows the reference implementation: the tensors must tile the data area exactly
/// (no overlap, no gap, nothing after the last one), and each byte range must hold exactly
/// shape-product × dtype-size bytes. Unknown keys inside a tensor entry are ignored, as the reference does.</para>
/// </summary>
public sealed class SafetensorsHeader
{
    /// <summary>The header occupies this many bytes at most (the reference implementation's limit, 100 MB).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>Name of the optional entry holding free-form string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Offset of the JSON in the file: it follows the 8-byte header length.</summary>
    const long JsonStart = 8;

    SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors in the order the header lists them.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The "__metadata__" entries (empty when the header has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>
    /// Parses the header JSON (the N bytes after the length prefix) and checks it against a data area of
    /// <paramref name="dataLength"/> bytes. <paramref name="file"/> is only used in error messages.
    /// </summary>
    /// <exception cref="SafetensorsFormatException">The header is malformed; the message says where.</exception>
    public static SafetensorsHeader Parse(ReadOnlySpan<byte> json, long dataLength, string file)
    {
        var tensors = new List<SafetensorsTensorInfo>();
        var entryOffsets = new Dictionary<string, long>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        bool sawMetadata = false;

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
        if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(file, null, JsonStart, "the header is not a JSON object");

        while (Next(ref reader, file) && reader.TokenType == JsonTokenType.PropertyName)
        {
            long entryOffset = JsonStart + reader.TokenStartIndex;
            string name = Text(ref reader, file);
            bool duplicate = name == MetadataKey ? sawMetadata : entryOffsets.ContainsKey(name);
            if (duplicate)
                throw new SafetensorsFormatException(file, name, entryOffset, "the name appears twice in the header");

            if (name == MetadataKey)
            {
                sawMetadata = true;
                ReadMetadata(ref reader, metadata, file, entryOffset);
            }
            else
            {
                entryOffsets.Add(name, entryOffset);
                tensors.Add(ReadTensor(ref reader, name, file, entryOffset));
            }
        }
        // Anything but whitespace after the closing brace makes Read throw (invalid JSON).
        if (Next(ref reader, file))
            throw new SafetensorsFormatException(file, null, JsonStart + reader.TokenStartIndex, "unexpected content after the header object");

        CheckLayout(tensors, entryOffsets, dataLength, file, JsonStart + json.Length);
        return new SafetensorsHeader(tensors, metadata);
    }

    /// <summary>Reads the next token, turning a JSON syntax error into a message with its file offset.</summary>
    static bool Next(ref Utf8JsonReader reader, string file)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(file, null, JsonStart + reader.BytesConsumed,
                $"invalid JSON in the header: {e.Message}", e);
        }
    }

    /// <summary>The current string token; invalid UTF-8 inside it is a format error, not a crash.</summary>
    static string Text(ref Utf8JsonReader reader, string file)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new SafetensorsFormatException(file, null, JsonStart + reader.TokenStartIndex, "a string in the header is not valid UTF-8", e);
        }
    }

    static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string file, long entryOffset)
    {
        if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(file, null, entryOffset, "\"__metadata__\" must be an object of strings");
        while (Next(ref reader, file) && reader.TokenType == JsonTokenType.PropertyName)
        {
            long keyOffset = JsonStart + reader.TokenStartIndex;
            string key = Text(ref reader, file);
            if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.String)
                throw new SafetensorsFormatException(file, null, keyOffset, $"\"__metadata__\" value of '{key}' is not a string");
            if (!metadata.TryAdd(key, Text(ref reader, file)))
                throw new SafetensorsFormatException(file, null, keyOffset, $"\"__metadata__\" key '{key}' appears twice");
        }
    }

    static SafetensorsTensorInfo ReadTensor(ref Utf8JsonReader reader, string name, string file, long entryOffset)
    {
        if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.StartObject)
            throw new SafetensorsFormatException(file, name, entryOffset, "the entry is not an object {dtype, shape, data_offsets}");

        SafetensorsDType? dtype = null;
        long[]? shape = null, offsets = null;
        while (Next(ref reader, file) && reader.TokenType == JsonTokenType.PropertyName)
        {
            long keyOffset = JsonStart + reader.TokenStartIndex;
            string key = Text(ref reader, file);
            switch (key)
            {
                case "dtype":
                    if (dtype is not null) throw new SafetensorsFormatException(file, name, keyOffset, "\"dtype\" appears twice");
                    if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.String)
                        throw new SafetensorsFormatException(file, name, keyOffset, "\"dtype\" is not a string");
                    string dtypeName = Text(ref reader, file);
                    if (!SafetensorsDTypes.TryParse(dtypeName, out var parsed))
                        throw new SafetensorsFormatException(file, name, keyOffset,
                            $"unknown dtype '{dtypeName}' (supported: F64, F32, F16, BF16, I64, I32, U8, BOOL)");
                    dtype = parsed;
                    break;
                case "shape":
                    if (shape is not null) throw new SafetensorsFormatException(file, name, keyOffset, "\"shape\" appears twice");
                    shape = ReadNonNegativeIntegers(ref reader, file, name, key, keyOffset);
                    break;
                case "data_offsets":
                    if (offsets is not null) throw new SafetensorsFormatException(file, name, keyOffset, "\"data_offsets\" appears twice");
                    offsets = ReadNonNegativeIntegers(ref reader, file, name, key, keyOffset);
                    if (offsets.Length != 2)
                        throw new SafetensorsFormatException(file, name, keyOffset,
                            $"\"data_offsets\" must be [begin, end], got {offsets.Length} numbers");
                    break;
                default:
                    SkipValue(ref reader, file);
                    break;
            }
        }

        if (dtype is null) throw new SafetensorsFormatException(file, name, entryOffset, "the entry has no \"dtype\"");
        if (shape is null) throw new SafetensorsFormatException(file, name, entryOffset, "the entry has no \"shape\"");
        if (offsets is null) throw new SafetensorsFormatException(file, name, entryOffset, "the entry has no \"data_offsets\"");
        return new SafetensorsTensorInfo(name, dtype.Value, shape, offsets[0], offsets[1]);
    }

    static long[] ReadNonNegativeIntegers(ref Utf8JsonReader reader, string file, string tensor, string key, long keyOffset)
    {
        if (!Next(ref reader, file) || reader.TokenType != JsonTokenType.StartArray)
            throw new SafetensorsFormatException(file, tensor, keyOffset, $"\"{key}\" is not an array of integers");
        var values = new List<long>();
        while (Next(ref reader, file) && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out long value) || value < 0)
                throw new SafetensorsFormatException(file, tensor, JsonStart + reader.TokenStartIndex,
                    $"\"{key}\" holds something that is not a non-negative 64-bit integer");
            values.Add(value);
        }
        return values.ToArray();
    }

    static void SkipValue(ref Utf8JsonReader reader, string file)
    {
        if (!Next(ref reader, file)) return;
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
        {
            int depth = reader.CurrentDepth;
            while (Next(ref reader, file) && reader.CurrentDepth > depth) { }
        }
    }

    /// <summary>
    /// Checks each tensor's size against its dtype and shape, then that the byte ranges, taken in
    /// offset order, tile the data area [0, dataLength) exactly.
    /// </summary>
    static void CheckLayout(List<SafetensorsTensorInfo> tensors, Dictionary<string, long> entryOffsets,
        long dataLength, string file, long dataStart)
    {
        foreach (var t in tensors)
        {
            long at = entryOffsets[t.Name];
            if (t.DataBegin > t.DataEnd)
                throw new SafetensorsFormatException(file, t.Name, at,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] end before they begin");
            long expected;
            try
            {
                expected = t.DType.SizeOf();
                foreach (long d in t.Shape) expected = checked(expected * d);
            }
            catch (OverflowException)
            {
                throw new SafetensorsFormatException(file, t.Name, at, $"shape {t.ShapeText} is too large to address");
            }
            if (expected != t.ByteLength)
                throw new SafetensorsFormatException(file, t.Name, at,
                    $"shape {t.ShapeText} of {t.DType.HeaderName()} needs {expected} bytes but data_offsets [{t.DataBegin}, {t.DataEnd}] span {t.ByteLength}");
            if (t.DataEnd > dataLength)
                throw new SafetensorsFormatException(file, t.Name, dataStart + t.DataBegin,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] reach outside the data area of {dataLength} bytes");
        }

        long covered = 0;
        SafetensorsTensorInfo? previous = null;
        foreach (var t in tensors.OrderBy(t => t.DataBegin).ThenBy(t => t.DataEnd))
        {
            if (t.DataBegin < covered)
                throw new SafetensorsFormatException(file, t.Name, dataStart + t.DataBegin,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] overlap tensor '{previous!.Name}' [{previous.DataBegin}, {previous.DataEnd}]");
            if (t.DataBegin > covered)
                throw new SafetensorsFormatException(file, t.Name, dataStart + covered,
                    $"data_offsets [{t.DataBegin}, {t.DataEnd}] leave a gap of {t.DataBegin - covered} unused bytes before the tensor");
            covered = t.DataEnd;
            previous = t;
        }
        if (covered != dataLength)
            throw new SafetensorsFormatException(file, null, dataStart + covered,
                $"the data area has {dataLength - covered} bytes after the last tensor (data area {dataLength} bytes, tensors cover {covered})");
    }
}
