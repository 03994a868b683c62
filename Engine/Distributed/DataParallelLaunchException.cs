namespace CudaBert.Engine.Distributed;

/// <summary>
/// The ranks of a data-parallel run could not be brought together: the launcher's variables are
/// missing or contradict each other, CPU ranks were started without MPI, ranks of one machine would
/// share a GPU, or the rendezvous with rank 0 failed. The message says what to change.
/// </summary>
public sealed class DataParallelLaunchException : Exception
{
    /// <summary>A launch error with its message.</summary>
    public DataParallelLaunchException(string message) : base(message) { }

    /// <summary>A launch error caused by <paramref name="inner"/> (e.g. a socket error).</summary>
    public DataParallelLaunchException(string message, Exception inner) : base(message, inner) { }
}
