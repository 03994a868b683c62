using CudaBert.Fuzz.Mutators;

namespace CudaBert.Fuzz;

/// <summary>
/// One parser under test. <see cref="Seed"/> is a valid input as files (name → bytes, names may hold
/// a folder, e.g. "train/seq.in"); <see cref="Parse"/> reads them from a folder the way the product
/// does; <see cref="IsDocumented"/> says which exceptions the parser promises for bad input. Any
/// other exception is a crash.
/// </summary>
public sealed record FuzzTarget(string Name, IReadOnlyDictionary<string, byte[]> Seed, Action<string> Parse, Func<Exception, bool> IsDocumented)
{
    /// <summary>The seed with one to three edits, each to one file chosen at random, by that file's format.</summary>
    public Dictionary<string, byte[]> Mutate(Random random)
    {
        var files = new Dictionary<string, byte[]>(Seed, StringComparer.Ordinal);
        string[] names = [.. files.Keys.Order(StringComparer.Ordinal)];
        int edits = random.Next(1, 4);
        for (int i = 0; i < edits; i++)
        {
            string name = names[random.Next(names.Length)];
            files[name] = MutateFile(random, name, files[name]);
        }
        return files;
    }

    /// <summary>The mutator that knows the format of a file, chosen by its name; sometimes plain byte edits.</summary>
    static byte[] MutateFile(Random random, string name, byte[] bytes)
    {
        if (random.Next(8) == 0) return ByteMutator.Mutate(random, bytes);
        return Path.GetExtension(name) switch
        {
            ".json" => JsonMutator.Mutate(random, bytes),
            ".jsonl" => LineMutator.Mutate(random, bytes, jsonLines: true),
            ".safetensors" => SafetensorsMutator.Mutate(random, bytes),
            ".onnx" => ProtobufMutator.Mutate(random, bytes),
            _ => LineMutator.Mutate(random, bytes),
        };
    }
}
