namespace CudaBert.Engine.Distributed;

/// <summary>
/// A collective that has been started and may still be running (<see cref="ICommunicator.StartAllReduceSum"/>):
/// its buffer must be neither read nor written until <see cref="Wait"/> has returned.
/// </summary>
public interface IPendingCollective
{
    /// <summary>
    /// Whether it is known to have finished, without waiting. Asking also lets the library move it on:
    /// Open MPI progresses a non-blocking collective only inside its own calls, so a caller that polls
    /// between pieces of other work gets the overlap. (NCCL's, ordered by the GPU's queues, count as
    /// finished once <see cref="Wait"/> has been called.)
    /// </summary>
    bool IsComplete();

    /// <summary>
    /// Returns once the result may be used: for MPI, once the buffer holds it; for NCCL, once the work
    /// queued next on the CUDA backend's stream is ordered after the collective (the host does not wait).
    /// </summary>
    void Wait();
}

/// <summary>A collective with nothing left to do: it finished before it was returned, or the device's queue orders it.</summary>
public sealed class CompletedCollective : IPendingCollective
{
    /// <summary>The one instance (it holds nothing).</summary>
    public static CompletedCollective Instance { get; } = new();

    CompletedCollective() { }

    /// <inheritdoc/>
    public bool IsComplete() => true;

    /// <inheritdoc/>
    public void Wait() { }
}
