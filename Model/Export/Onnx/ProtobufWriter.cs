using System.Buffers.Binary;
using System.Text;
using CudaBert.Model.Import.Onnx;

namespace CudaBert.Model.Export.Onnx;

/// <summary>
/// The twin of <see cref="ProtobufReader"/>: writes the protobuf wire format, enough to build an ONNX file.
/// <para>Each field is a varint key (field number &lt;&lt; 3 | wire type) followed by its value: a varint,
/// 4 or 8 little-endian bytes, or a varint length and that many bytes (strings, bytes, sub-messages,
/// packed repeated numbers). A sub-message's length must be known before its bytes, so a sub-message
/// is written into its own writer first and then appended with <see cref="WriteMessage"/>.</para>
/// </summary>
public sealed class ProtobufWriter
{
    readonly MemoryStream _bytes = new();

    /// <summary>Bytes written so far.</summary>
    public long Length => _bytes.Length;

    /// <summary>A varint field (int64 and enums are written as their two's-complement 64 bits, not zigzag).</summary>
    public void WriteInt64(int fieldNumber, long value)
    {
        WriteKey(fieldNumber, WireType.Varint);
        WriteVarint((ulong)value);
    }

    /// <summary>A float field: 4 little-endian bytes (wire type 5).</summary>
    public void WriteFloat(int fieldNumber, float value)
    {
        WriteKey(fieldNumber, WireType.Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _bytes.Write(bytes);
    }

    /// <summary>A UTF-8 string field.</summary>
    public void WriteString(int fieldNumber, string value) => WriteBytes(fieldNumber, Encoding.UTF8.GetBytes(value));

    /// <summary>A length-delimited field holding <paramref name="value"/> as it is.</summary>
    public void WriteBytes(int fieldNumber, ReadOnlySpan<byte> value)
    {
        WriteKey(fieldNumber, WireType.LengthDelimited);
        WriteVarint((ulong)value.Length);
        _bytes.Write(value);
    }

    /// <summary>A sub-message field: the bytes of <paramref name="message"/>, length first.</summary>
    public void WriteMessage(int fieldNumber, ProtobufWriter message)
    {
        WriteKey(fieldNumber, WireType.LengthDelimited);
        WriteVarint((ulong)message._bytes.Length);
        message._bytes.Position = 0;
        message._bytes.CopyTo(_bytes);
    }

    /// <summary>A repeated int64 field, packed: one length-delimited run of varints (what proto3 writers emit).</summary>
    public void WritePackedInt64(int fieldNumber, IEnumerable<long> values)
    {
        var packed = new ProtobufWriter();
        foreach (long value in values) packed.WriteVarint((ulong)value);
        WriteMessage(fieldNumber, packed);
    }

    /// <summary>The message written so far.</summary>
    public byte[] ToArray() => _bytes.ToArray();

    void WriteKey(int fieldNumber, WireType wireType)
    {
        if (fieldNumber <= 0) throw new ArgumentOutOfRangeException(nameof(fieldNumber), fieldNumber, "protobuf field numbers start at 1");
        WriteVarint(((ulong)fieldNumber << 3) | (ulong)wireType);
    }

    /// <summary>7 bits per byte, low group first; the high bit says another byte follows.</summary>
    void WriteVarint(ulong value)
    {
        while (value >= 0x80)
        {
            _bytes.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _bytes.WriteByte((byte)value);
    }
}
