namespace CudaBert.Model.Metrics;

/// <summary>
/// Turns a sequence of IOB2 / IOBES tags into entity spans exactly as <c>seqeval</c>'s default
/// (conlleval-compatible, non-strict) mode does. The rules are lenient on purpose, as conlleval's:
/// an <c>I-X</c> after <c>O</c> or after a different type starts a new entity; a change of type
/// always ends the current one.
/// </summary>
/// <remarks>
/// A tag is split into a one-letter prefix (B, I, E, S, O, or anything else) and a type: the text
/// after the first '-' ("B-city_name" → B, "city_name"); a tag without a type gets type "_".
/// Sentences are scored as one stream with an "O" between them, which is why an entity can never
/// span two sentences.
/// </remarks>
public static class IobChunker
{
    /// <summary>The entities of one sentence's tags, in order, as word-index spans with inclusive ends.</summary>
    public static List<EntitySpan> Chunks(IReadOnlyList<string> tags)
    {
        var chunks = new List<EntitySpan>();
        char previousPrefix = 'O';
        string previousType = "";
        int begin = 0;
        // One virtual "O" past the end closes a trailing entity.
        for (int i = 0; i <= tags.Count; i++)
        {
            var (prefix, type) = i < tags.Count ? Split(tags[i]) : ('O', "_");
            if (EndsChunk(previousPrefix, prefix, previousType, type))
                chunks.Add(new EntitySpan(previousType, begin, i - 1));
            if (StartsChunk(previousPrefix, prefix, previousType, type))
                begin = i;
            previousPrefix = prefix;
            previousType = type;
        }
        return chunks;
    }

    static (char Prefix, string Type) Split(string tag)
    {
        if (tag.Length == 0) return ('O', "_");
        int dash = tag.IndexOf('-', 1);
        string rest = tag[1..];
        // seqeval: chunk[1:].split('-', maxsplit=1)[-1] or '_'
        string type = dash < 0 ? rest : tag[(dash + 1)..];
        return (tag[0], type.Length == 0 ? "_" : type);
    }

    static bool EndsChunk(char prev, char tag, string prevType, string type) =>
        prev is 'E' or 'S'
        || (prev is 'B' or 'I' && tag is 'B' or 'S' or 'O')
        || (prev != 'O' && prev != '.' && prevType != type);

    static bool StartsChunk(char prev, char tag, string prevType, string type) =>
        tag is 'B' or 'S'
        || (prev is 'E' or 'S' or 'O' && tag is 'E' or 'I')
        || (tag != 'O' && tag != '.' && prevType != type);
}
