namespace CudaBert.Engine.Distributed;

/// <summary>
/// The group of one: rank 0 of size 1. A sum, a mean or a broadcast over one buffer is the buffer
/// itself, so every operation leaves it as it is. Training without a launcher uses it.
/// </summary>
public sealed class SingleProcessCommunicator : ICommunicator
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static SingleProcessCommunicator Instance { get; } = new();

    SingleProcessCommunicator() { }

    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;

    /// <inheritdoc/>
    public void AllReduceSum(Tensor buffer) => CollectiveBuffers.CheckFloat32(buffer, nameof(AllReduceSum));
    /// <inheritdoc/>
    public void AllReduceAverage(Tensor buffer) => CollectiveBuffers.CheckFloat32(buffer, nameof(AllReduceAverage));

    /// <inheritdoc/>
    public IPendingCollective StartAllReduceSum(Tensor buffer)
    {
        CollectiveBuffers.CheckFloat32(buffer, nameof(StartAllReduceSum));
        return CompletedCollective.Instance;
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor buffer, int root)
    {
        CollectiveBuffers.CheckFloat32(buffer, nameof(Broadcast));
        CollectiveBuffers.CheckRoot(root, Size);
    }

    /// <inheritdoc/>
    public void Barrier() { }

    /// <summary>Nothing to release.</summary>
    public void Dispose() { }
}
