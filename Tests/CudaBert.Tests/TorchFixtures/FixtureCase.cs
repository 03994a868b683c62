using System.Text.Json;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// One case of a <see cref="TorchFixture"/>: the inputs, the forward output <c>out</c>, the
/// upstream gradient <c>grad_out</c> and PyTorch's <c>grad_&lt;input&gt;</c> for each input in
/// <see cref="Wrt"/>, all in one dtype (float64 or float32; index tensors are int64).
/// </summary>
internal sealed class FixtureCase
{
    private readonly JsonElement parameters;

    public FixtureCase(TorchFixture fixture, string name, JsonElement parameters)
    {
        Fixture = fixture;
        Name = name;
        this.parameters = parameters;
        IsFloat64 = parameters.GetProperty("dtype").GetString() switch
        {
            "f64" => true,
            "f32" => false,
            var other => throw new InvalidDataException($"{fixture.File.Path}, case '{name}': unknown dtype '{other}'"),
        };
        Wrt = parameters.GetProperty("wrt").EnumerateArray().Select(e => e.GetString()!).ToArray();
    }

    public TorchFixture Fixture { get; }

    public string Name { get; }

    public bool IsFloat64 { get; }

    /// <summary>The inputs PyTorch differentiated with respect to; each has a <c>grad_&lt;input&gt;</c>.</summary>
    public IReadOnlyList<string> Wrt { get; }

    /// <summary>The tolerance this case's dtype allows (see <see cref="TorchTolerance"/>).</summary>
    public double Tolerance => IsFloat64 ? TorchTolerance.Float64 : TorchTolerance.Float32;

    /// <summary>Where a failure message says the data came from.</summary>
    public string Label => $"{Path.GetFileName(Fixture.File.Path)}, case '{Name}'";

    public int[] Shape(string tensor) => Array.ConvertAll(Fixture.File.GetInfo(Key(tensor)).Shape, d => (int)d);

    /// <summary>The dtype the file stores the tensor in.</summary>
    public SafetensorsDType StoredDType(string tensor) => Fixture.File.GetInfo(Key(tensor)).DType;

    /// <summary>A floating tensor of the case, widened to double (exact for float32).</summary>
    public double[] Values(string tensor) => Fixture.File.ReadFloat64(Key(tensor));

    /// <summary>A floating tensor of a float32 case, as stored.</summary>
    public float[] Float32Values(string tensor) => Fixture.File.ReadFloat32(Key(tensor));

    /// <summary>An index tensor (token ids, targets, attention masks).</summary>
    public long[] Indices(string tensor) => Fixture.File.ReadInt64(Key(tensor));

    public bool Has(string tensor) => Fixture.File.Contains(Key(tensor));

    public double Parameter(string name) =>
        parameters.TryGetProperty(name, out var value) ? value.GetDouble()
            : throw new KeyNotFoundException($"{Label} has no parameter '{name}'");

    public bool Flag(string name) =>
        parameters.TryGetProperty(name, out var value) ? value.GetBoolean()
            : throw new KeyNotFoundException($"{Label} has no parameter '{name}'");

    private string Key(string tensor) => $"{Name}/{tensor}";

    public override string ToString() => Label;
}
