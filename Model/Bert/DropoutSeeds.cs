using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// Hands each dropout layer of a model its own Philox seed, drawn from one seeded generator: two
/// layers with the same seed (and both starting at offset 0) would drop the same positions.
/// </summary>
public sealed class DropoutSeeds(ulong seed)
{
    private readonly Generator generator = new(seed);

    /// <summary>A fresh 53-bit seed.</summary>
    public ulong Next() => (ulong)(generator.NextDouble() * (1UL << 53));
}
