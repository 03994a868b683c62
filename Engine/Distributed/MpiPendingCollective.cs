using static CudaBert.Engine.Distributed.MpiLibrary;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// The requests of one started MPI collective (<see cref="MpiCommunicator.StartAllReduceSum"/>). MPI sets a
/// request to <c>MPI_REQUEST_NULL</c> when it completes; this keeps the count of those still open.
/// </summary>
sealed unsafe class MpiPendingCollective(nint[] requests) : IPendingCollective
{
    int _completed;

    /// <summary><c>MPI_Test</c> on each open request, in order (which also progresses them).</summary>
    public bool IsComplete()
    {
        while (_completed < requests.Length)
        {
            int done;
            fixed (nint* request = &requests[_completed])
                Check(MPI_Test(request, out done, StatusIgnore), nameof(MPI_Test));
            if (done == 0) return false;
            _completed++;
        }
        return true;
    }

    /// <summary><c>MPI_Wait</c> on each open request.</summary>
    public void Wait()
    {
        for (; _completed < requests.Length; _completed++)
            fixed (nint* request = &requests[_completed])
                Check(MPI_Wait(request, StatusIgnore), nameof(MPI_Wait));
    }
}
