using System.Buffers.Binary;

namespace CudaBert.Fuzz.Mutators;

/// <summary>
/// Edits of a safetensors file that keep it safetensors-shaped often enough to reach the deep checks:
/// the JSON header rewritten by <see cref="JsonMutator"/> (with the length prefix fixed up, or not),
/// an absurd length prefix, the data area cut short or extended, or plain byte edits.
/// </summary>
public static class SafetensorsMutator
{
    public static byte[] Mutate(Random random, byte[] input)
    {
        if (input.Length < 8) return ByteMutator.Mutate(random, input);
        ulong declared = BinaryPrimitives.ReadUInt64LittleEndian(input);
        if (declared > (ulong)(input.Length - 8)) return ByteMutator.Mutate(random, input);
        byte[] header = input[8..(8 + (int)declared)], data = input[(8 + (int)declared)..];
        switch (random.Next(5))
        {
            case 0 or 1:
                byte[] rewritten = JsonMutator.Mutate(random, header);
                return Assemble(random.Next(8) == 0 ? declared : (ulong)rewritten.Length, rewritten, data);
            case 2:
                ulong[] lengths = [0, 1, 7, declared - 1, declared + 1, (ulong)input.Length, 100_000_001, ulong.MaxValue, 1UL << 63];
                return Assemble(lengths[random.Next(lengths.Length)], header, data);
            case 3:
                return Assemble(declared, header, data[..random.Next(data.Length + 1)]);
            default:
                return ByteMutator.Mutate(random, input);
        }
    }

    static byte[] Assemble(ulong length, byte[] header, byte[] data)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }
}
