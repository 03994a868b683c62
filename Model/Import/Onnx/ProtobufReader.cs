namespace CudaBert.Model.Import.Onnx;

/// <summary>
/// A minimal reader of the protobuf wire format, enough to walk an ONNX file.
/// <para>Why our own and not Google.Protobuf: ONNX needs a handful of messages and four wire types;
/// this reader plus the message walkers is ~400 lines with no dependency, while Google.Protobuf
/// would add a package to the library, plus code generated from all of onnx.proto by protoc (a tool
/// the build would then need) that covers dozens of messages we never read and that a learner
/// cannot read in one sitting.</para>
/// <para>The wire format: a message is a sequence of fields; each starts with a varint key
/// (field number &lt;&lt; 3 | wire type). Wire type 0 is a varint (7 bits per byte, low group first,
/// high bit = "more"), 1 is 8 little-endian bytes, 2 is a varint length followed by that many bytes
/// (strings, bytes, sub-messages, packed repeated numbers), 5 is 4 little-endian bytes.</para>
/// <para>Every length is checked against the bytes that remain before anything is sliced, so a
/// corrupt file fails with an offset, never with an out-of-range read or a huge allocation.</para>
/// </summary>
public struct ProtobufReader
{
    readonly ReadOnlyMemory<byte> _buffer;
    readonly long _baseOffset;
    readonly string _source;
    int _position;

    /// <param name="buffer">The message bytes.</param>
    /// <param name="baseOffset">Offset of <paramref name="buffer"/> in the file, for error messages.</param>
    /// <param name="source">The file or resource name, for error messages.</param>
    public ProtobufReader(ReadOnlyMemory<byte> buffer, long baseOffset, string source)
    {
        _buffer = buffer;
        _baseOffset = baseOffset;
        _source = source;
        _position = 0;
    }

    /// <summary>Absolute offset of the next byte to be read.</summary>
    public readonly long Offset => _baseOffset + _position;

    /// <summary>Whether all bytes of the message were read.</summary>
    public readonly bool AtEnd => _position >= _buffer.Length;

    /// <summary>Reads the next field key; false at the end of the message.</summary>
    public bool TryReadKey(out int fieldNumber, out WireType wireType)
    {
        if (AtEnd)
        {
            fieldNumber = 0;
            wireType = default;
            return false;
        }
        long keyOffset = Offset;
        ulong key = ReadVarint();
        fieldNumber = (int)(key >> 3);
        wireType = (WireType)(key & 7);
        if (fieldNumber <= 0 || key >> 3 > int.MaxValue)
            throw Error(keyOffset, $"invalid field number {key >> 3}");
        return true;
    }

    /// <summary>A base-128 varint (at most 10 bytes).</summary>
    public ulong ReadVarint()
    {
        ulong value = 0;
        var span = _buffer.Span;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (_position >= span.Length) throw Error(Offset, "the message ends inside a varint");
            byte b = span[_position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Error(Offset, "a varint longer than 10 bytes");
    }

    /// <summary>A varint read as a signed 64-bit integer (protobuf int64: two's complement, not zigzag).</summary>
    public long ReadInt64() => (long)ReadVarint();

    /// <summary>4 little-endian bytes as a float (wire type 5).</summary>
    public float ReadFloat() => BitConverter.Int32BitsToSingle((int)ReadFixed(4));

    /// <summary>8 little-endian bytes as a double (wire type 1).</summary>
    public double ReadDouble() => BitConverter.Int64BitsToDouble((long)ReadFixed(8));

    /// <summary>A length-delimited field's bytes (no copy) and their absolute offset.</summary>
    public (ReadOnlyMemory<byte> Bytes, long Offset) ReadLengthDelimited()
    {
        long lengthOffset = Offset;
        ulong length = ReadVarint();
        if (length > (ulong)(_buffer.Length - _position))
            throw Error(lengthOffset, $"a length of {length} bytes runs past the end of the message ({_buffer.Length - _position} bytes remain)");
        long start = Offset;
        var bytes = _buffer.Slice(_position, (int)length);
        _position += (int)length;
        return (bytes, start);
    }

    /// <summary>A length-delimited UTF-8 string.</summary>
    public string ReadString() => System.Text.Encoding.UTF8.GetString(ReadLengthDelimited().Bytes.Span);

    /// <summary>A reader over a length-delimited sub-message.</summary>
    public ProtobufReader ReadMessage()
    {
        var (bytes, offset) = ReadLengthDelimited();
        return new ProtobufReader(bytes, offset, _source);
    }

    /// <summary>Skips a field of the given wire type (for fields we do not need).</summary>
    public void Skip(WireType wireType)
    {
        switch (wireType)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: ReadFixed(8); break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            case WireType.Fixed32: ReadFixed(4); break;
            default: throw Error(Offset, $"unsupported wire type {(int)wireType}");
        }
    }

    /// <summary>
    /// Appends a repeated int64 field, which a writer may store packed (one length-delimited run of
    /// varints) or unpacked (one varint per key): both must be accepted.
    /// </summary>
    public void ReadRepeatedInt64(WireType wireType, List<long> into)
    {
        if (wireType == WireType.Varint) { into.Add(ReadInt64()); return; }
        Expect(wireType, WireType.LengthDelimited, "a repeated integer");
        var packed = ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadInt64());
    }

    /// <summary>Appends a repeated float field, packed (length-delimited) or not (wire type 5).</summary>
    public void ReadRepeatedFloat(WireType wireType, List<float> into)
    {
        if (wireType == WireType.Fixed32) { into.Add(ReadFloat()); return; }
        Expect(wireType, WireType.LengthDelimited, "a repeated float");
        var packed = ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadFloat());
    }

    /// <summary>Appends a repeated double field, packed (length-delimited) or not (wire type 1).</summary>
    public void ReadRepeatedDouble(WireType wireType, List<double> into)
    {
        if (wireType == WireType.Fixed64) { into.Add(ReadDouble()); return; }
        Expect(wireType, WireType.LengthDelimited, "a repeated double");
        var packed = ReadMessage();
        while (!packed.AtEnd) into.Add(packed.ReadDouble());
    }

    /// <summary>Fails unless a field has the wire type its schema declares.</summary>
    public readonly void Expect(WireType actual, WireType expected, string what)
    {
        if (actual != expected)
            throw Error(Offset, $"{what} has wire type {(int)actual}, expected {(int)expected}");
    }

    /// <summary>An error naming the source and an absolute byte offset.</summary>
    public readonly InvalidDataException Error(long offset, string problem) =>
        new($"protobuf '{_source}', byte {offset}: {problem}");

    ulong ReadFixed(int size)
    {
        if (_buffer.Length - _position < size) throw Error(Offset, $"the message ends inside a {size}-byte field");
        var bytes = _buffer.Span.Slice(_position, size);
        _position += size;
        return size == 4
            ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes)
            : System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }
}

/// <summary>The protobuf wire types (3 and 4, the deprecated groups, are not supported).</summary>
public enum WireType
{
    /// <summary>A base-128 variable-length integer (int32/64, uint, bool, enum).</summary>
    Varint = 0,
    /// <summary>8 little-endian bytes (double, fixed64).</summary>
    Fixed64 = 1,
    /// <summary>A varint byte length followed by that many bytes (strings, bytes, nested messages, packed repeated fields).</summary>
    LengthDelimited = 2,
    /// <summary>4 little-endian bytes (float, fixed32).</summary>
    Fixed32 = 5,
}
