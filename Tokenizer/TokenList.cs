namespace CudaBert.Tokenizer;

/// <summary>The tokens of one sequence before post-processing: ids, original-text offsets, word indices. Reused across calls.</summary>
internal sealed class TokenList
{
    int[] ids = new int[64];
    int[] starts = new int[64];
    int[] ends = new int[64];
    int[] words = new int[64];

    public int Count { get; private set; }

    /// <summary>How many tokens fit before the buffers grow.</summary>
    public int Capacity => ids.Length;

    public ReadOnlySpan<int> Ids => ids.AsSpan(0, Count);

    public ReadOnlySpan<int> Starts => starts.AsSpan(0, Count);

    public ReadOnlySpan<int> Ends => ends.AsSpan(0, Count);

    public ReadOnlySpan<int> Words => words.AsSpan(0, Count);

    public void Clear() => Count = 0;

    /// <summary>Forgets the tokens from <paramref name="count"/> on.</summary>
    public void Truncate(int count) => Count = count;

    public void Add(int id, int start, int end, int word)
    {
        if (Count == ids.Length)
        {
            int size = ids.Length * 2;
            Array.Resize(ref ids, size);
            Array.Resize(ref starts, size);
            Array.Resize(ref ends, size);
            Array.Resize(ref words, size);
        }
        ids[Count] = id;
        starts[Count] = start;
        ends[Count] = end;
        words[Count] = word;
        Count++;
    }
}
