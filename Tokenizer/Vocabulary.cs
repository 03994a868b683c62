using System.Text;

namespace CudaBert.Tokenizer;

/// <summary>
/// Token strings and their ids. Lookups take a <see cref="ReadOnlySpan{T}"/> of chars, so
/// tokenizing never allocates a string per candidate sub-word.
/// </summary>
public sealed class Vocabulary
{
    readonly string[] tokens;
    readonly Dictionary<string, int> ids;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup;

    /// <summary>Builds a vocabulary from tokens indexed by id; a repeated token keeps its last id, as in Hugging Face.</summary>
    public Vocabulary(IReadOnlyList<string> tokensById)
    {
        tokens = [.. tokensById];
        ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (int id = 0; id < tokens.Length; id++) ids[tokens[id]] = id;
        lookup = ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Builds a vocabulary from a token → id map (as in <c>tokenizer.json</c>); ids must be 0..n-1.</summary>
    public static Vocabulary FromMap(IReadOnlyDictionary<string, int> map, string source)
    {
        var byId = new string?[map.Count];
        foreach (var (token, id) in map)
        {
            if (id < 0 || id >= byId.Length)
                throw new TokenizerFormatException($"{source}: the id {id} of token '{token}' is outside 0..{byId.Length - 1}.");
            if (byId[id] is { } other)
                throw new TokenizerFormatException($"{source}: tokens '{other}' and '{token}' share the id {id}.");
            byId[id] = token;
        }
        return new Vocabulary(byId!);
    }

    /// <summary>Reads <c>vocab.txt</c>: one token per line, the id is the line number (LF or CRLF; trailing whitespace trimmed, as in Hugging Face).</summary>
    public static Vocabulary Read(Stream stream, string source)
    {
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        ReadOnlySpan<byte> bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        var utf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
        var list = new List<string>();
        while (!bytes.IsEmpty)
        {
            int end = bytes.IndexOf((byte)'\n');
            var line = end < 0 ? bytes : bytes[..end];
            bytes = end < 0 ? [] : bytes[(end + 1)..];
            try
            {
                list.Add(utf8.GetString(line).TrimEnd());
            }
            catch (DecoderFallbackException)
            {
                throw new TokenizerFormatException($"{source} line {list.Count + 1}: not valid UTF-8.");
            }
        }
        if (list.Count == 0) throw new TokenizerFormatException($"{source}: the vocabulary is empty.");
        return new Vocabulary(list);
    }

    /// <summary>Reads a <c>vocab.txt</c> file.</summary>
    public static Vocabulary ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    /// <summary>How many ids there are.</summary>
    public int Count => tokens.Length;

    /// <summary>The token of an id.</summary>
    public string this[int id] => tokens[id];

    /// <summary>The id of a token, or -1.</summary>
    public int IdOf(ReadOnlySpan<char> token) => lookup.TryGetValue(token, out int id) ? id : -1;

    /// <summary>The id of a token that must be in the vocabulary; <paramref name="role"/> names it in the error.</summary>
    internal int RequireId(string token, string role) => IdOf(token) is var id and >= 0
        ? id
        : throw new TokenizerFormatException($"The {role} '{token}' is not in the vocabulary.");

    /// <summary>All tokens in id order.</summary>
    public IReadOnlyList<string> Tokens => tokens;
}
