namespace CudaBert.Fuzz.Mutators;

/// <summary>Format-blind edits of a byte string: a flipped bit, an interesting byte, bytes inserted, removed, repeated, or the end cut off.</summary>
public static class ByteMutator
{
    static readonly byte[] Interesting = [0x00, 0xFF, 0x7F, 0x80, 0xC3, 0xED, (byte)'"', (byte)'\\', (byte)'{', (byte)'[', (byte)'\n', (byte)'9', (byte)'-'];

    public static byte[] Mutate(Random random, byte[] input)
    {
        var bytes = new List<byte>(input);
        int Position() => bytes.Count == 0 ? 0 : random.Next(bytes.Count);
        switch (random.Next(7))
        {
            case 0 when bytes.Count > 0:
                int flip = Position();
                bytes[flip] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 0:
                bytes[Position()] = Interesting[random.Next(Interesting.Length)];
                break;
            case 2:
                var inserted = new byte[random.Next(1, 9)];
                random.NextBytes(inserted);
                bytes.InsertRange(random.Next(bytes.Count + 1), inserted);
                break;
            case 3 when bytes.Count > 0:
                int start = Position();
                bytes.RemoveRange(start, Math.Min(bytes.Count - start, random.Next(1, 33)));
                break;
            case 4 when bytes.Count > 0:
                int from = Position(), length = Math.Min(bytes.Count - from, random.Next(1, 65));
                bytes.InsertRange(Position(), bytes.GetRange(from, length));
                break;
            case 5:
                bytes = bytes.Take(random.Next(bytes.Count + 1)).ToList();   // truncated
                break;
            default:
                var appended = new byte[random.Next(1, 17)];
                random.NextBytes(appended);
                bytes.AddRange(appended);
                break;
        }
        return [.. bytes];
    }
}
