using System.Text.Json;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// One committed fixture file, <c>Fixtures/torch/&lt;op&gt;.safetensors</c>, written by
/// <c>tools/torch-fixtures/generate.py</c> and read with the engine's <see cref="SafetensorsFile"/>.
/// It holds several cases; the metadata entry <c>case/&lt;name&gt;</c> of each is a JSON object
/// with its dtype, its differentiable inputs ("wrt") and the op's parameters, and its tensors are
/// stored as <c>&lt;name&gt;/&lt;tensor&gt;</c>.
/// </summary>
internal sealed class TorchFixture : IDisposable
{
    private const string CasePrefix = "case/";

    private TorchFixture(string op) => File = SafetensorsFile.Open(PathOf(op));

    public SafetensorsFile File { get; }

    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "torch");

    public static string PathOf(string op) => Path.Combine(Folder, op + ".safetensors");

    public static TorchFixture Load(string op) => new(op);

    /// <summary>
    /// The names of the cases in <c>&lt;op&gt;.safetensors</c> (those <paramref name="include"/>
    /// accepts, when given), for a <c>[Theory]</c>'s data.
    /// </summary>
    public static TheoryData<string> CaseNames(string op, Func<string, bool>? include = null)
    {
        using var fixture = Load(op);
        return new(fixture.Cases.Select(c => c.Name).Where(include ?? (_ => true)));
    }

    public IEnumerable<FixtureCase> Cases =>
        File.Metadata.Keys.Where(k => k.StartsWith(CasePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
            .Select(k => Case(k[CasePrefix.Length..]));

    public FixtureCase Case(string name)
    {
        if (!File.Metadata.TryGetValue(CasePrefix + name, out string? json))
            throw new KeyNotFoundException($"{File.Path} has no case '{name}' (no metadata entry '{CasePrefix}{name}')");
        using var parameters = JsonDocument.Parse(json);
        return new FixtureCase(this, name, parameters.RootElement.Clone());
    }

    public void Dispose() => File.Dispose();
}
