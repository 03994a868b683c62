using System.Text.Json;

namespace CudaBert.Tests.TorchParity;

/// <summary>
/// One committed fixture file, <c>Fixtures/torch/&lt;op&gt;.safetensors</c>, written by
/// <c>tools/torch-fixtures/generate.py</c>. It holds several cases; the metadata entry
/// <c>case/&lt;name&gt;</c> of each is a JSON object with its dtype, its differentiable inputs ("wrt")
/// and the op's parameters, and its tensors are stored as <c>&lt;name&gt;/&lt;tensor&gt;</c>.
/// </summary>
internal sealed class TorchFixture
{
    private const string CasePrefix = "case/";

    private TorchFixture(string op)
    {
        Op = op;
        Reader = new MinimalSafetensorsReader(PathOf(op));
    }

    public string Op { get; }

    public MinimalSafetensorsReader Reader { get; }

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    public static string PathOf(string op) => Path.Combine(Folder, op + ".safetensors");

    /// <summary>Loads <c>&lt;op&gt;.safetensors</c> (files are tiny; each test loads its own copy).</summary>
    public static TorchFixture Load(string op) => new(op);

    /// <summary>The names of the cases in the file, for a <c>[Theory]</c>'s data.</summary>
    public static TheoryData<string> CaseNames(string op) => new(Load(op).Cases.Select(c => c.Name));

    public IEnumerable<FixtureCase> Cases =>
        Reader.Metadata.Keys.Where(k => k.StartsWith(CasePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(k => Case(k[CasePrefix.Length..]));

    public FixtureCase Case(string name)
    {
        if (!Reader.Metadata.TryGetValue(CasePrefix + name, out string? json))
            throw new KeyNotFoundException($"{Reader.Path} has no case '{name}' (no metadata entry '{CasePrefix}{name}')");
        return new FixtureCase(this, name, JsonDocument.Parse(json).RootElement.Clone());
    }
}
