using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// Hands each dropout layer of a model its own Philox seed, drawn from one seeded generator: two
/// layers with the same seed (and both starting at offset 0) would drop the same positions.
/// </summary>
public sealed class DropoutSeeds(ulong seed)
{
    private readonly Generator generator = new(seed);

    /// <summary>The dropout seeds of a model whose weights are initialised from <paramref name="modelSeed"/>: a stream of its own (the seed XOR a fixed odd constant, 2⁶⁴/φ).</summary>
    public static DropoutSeeds ForModel(ulong modelSeed) => new(modelSeed ^ 0x9E3779B97F4A7C15UL);

    /// <summary>A fresh 53-bit seed.</summary>
    public ulong Next() => (ulong)(generator.NextDouble() * (1UL << 53));
}
