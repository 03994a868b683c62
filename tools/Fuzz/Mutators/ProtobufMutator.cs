namespace CudaBert.Fuzz.Mutators;

/// <summary>
/// Edits of a protobuf message (an ONNX model): a varint somewhere (a field tag, a length, a dimension,
/// a data type) replaced by an extreme value, a length-delimited run repeated, or plain byte edits.
/// Protobuf has no markers, so a varint is decoded wherever one starts; every such edit shifts what
/// follows, which is what reaches the reader's length and range checks.
/// </summary>
public static class ProtobufMutator
{
    static readonly ulong[] Extremes = [0, 1, 2, 127, 128, 0x7FFF_FFFF, 0x8000_0000, 3_000_000_000, 0xFFFF_FFFF, long.MaxValue, ulong.MaxValue];

    public static byte[] Mutate(Random random, byte[] input)
    {
        if (input.Length == 0 || random.Next(3) == 0) return ByteMutator.Mutate(random, input);
        int start = random.Next(input.Length), end = start;
        while (end < input.Length && end - start < 10 && (input[end] & 0x80) != 0) end++;
        end = Math.Min(end + 1, input.Length);
        if (random.Next(4) == 0)
        {
            int length = Math.Min(input.Length - start, random.Next(1, 64));
            return [.. input[..start], .. input[start..(start + length)], .. input[start..]];
        }
        return [.. input[..start], .. Varint(Extremes[random.Next(Extremes.Length)]), .. input[end..]];
    }

    static byte[] Varint(ulong value)
    {
        var bytes = new List<byte>();
        do
        {
            byte low = (byte)(value & 0x7F);
            value >>= 7;
            bytes.Add(value == 0 ? low : (byte)(low | 0x80));
        } while (value != 0);
        return [.. bytes];
    }
}
