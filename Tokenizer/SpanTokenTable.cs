using System.Runtime.CompilerServices;

namespace CudaBert.Tokenizer;

/// <summary>
/// A read-only map from token text to id, built for the WordPiece inner loop: open addressing with
/// linear probing over one array of slots, every key's chars in one shared char array. A lookup
/// touches one slot (hash, id, where its chars are) and then those chars, so a 30k-entry
/// vocabulary costs few cache misses per lookup and nothing is allocated.
/// </summary>
internal sealed class SpanTokenTable
{
    struct Slot
    {
        public int Hash;
        public int Id; // -1: empty
        public int Offset;
        public int Length;
    }

    readonly Slot[] slots;
    readonly char[] chars;
    readonly int mask;

    public SpanTokenTable(IReadOnlyCollection<KeyValuePair<string, int>> entries)
    {
        int capacity = 16;
        while (capacity < entries.Count * 2) capacity *= 2; // at most half full: short probe runs
        slots = new Slot[capacity];
        mask = capacity - 1;
        Array.Fill(slots, new Slot { Id = -1 });
        chars = new char[entries.Sum(e => e.Key.Length)];
        int offset = 0;
        foreach (var (key, id) in entries)
        {
            key.CopyTo(chars.AsSpan(offset));
            int hash = Hash(key);
            int at = hash & mask;
            while (slots[at].Id >= 0) at = (at + 1) & mask;
            slots[at] = new Slot { Hash = hash, Id = id, Offset = offset, Length = key.Length };
            offset += key.Length;
        }
    }

    /// <summary>The id of <paramref name="key"/>, or -1.</summary>
    public int IdOf(ReadOnlySpan<char> key)
    {
        int hash = Hash(key);
        for (int at = hash & mask; ; at = (at + 1) & mask)
        {
            ref readonly Slot slot = ref slots[at];
            if (slot.Id < 0) return -1;
            if (slot.Hash == hash && slot.Length == key.Length && chars.AsSpan(slot.Offset, slot.Length).SequenceEqual(key)) return slot.Id;
        }
    }

    // FNV-1a over the UTF-16 chars, then a final mix so that the low bits (the slot index) depend on every char.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Hash(ReadOnlySpan<char> key)
    {
        uint h = 2166136261;
        foreach (char c in key) h = (h ^ c) * 16777619;
        h ^= h >> 15;
        h *= 0x2C1B3C6D;
        h ^= h >> 12;
        return (int)(h & 0x7FFFFFFF);
    }
}
