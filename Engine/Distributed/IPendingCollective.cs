namespace CudaBert.Engine.Distributed;

/// <summary>
/// A collective that has been started and may still be running (<see cref="ICommunicator.StartAllReduceSum"/>):
/// its buffer must be neither read nor written until <see cref="Wait"/> has returned.
/// </summary>
public interface IPendingCollective
{
    /// <summary>
    /// Whether it has finished, without waiting. Asking also lets the library move it on: Open MPI
    /// progresses a non-blocking collective only inside its own calls, so a caller that polls between
    /// pieces of other work gets the overlap.
    /// </summary>
    bool IsComplete();

    /// <summary>Returns once it has finished; the buffer then holds the result.</summary>
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
