namespace CudaBert.Tests.Engine;

/// <summary>
/// Tests that read the process-wide live-tensor and live-byte counters run alone, after the
/// parallel tests, so no other test allocates while they measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "memory counters";
}
