using CudaBert.Engine.Memory;
using static CudaBert.Engine.Distributed.MpiLibrary;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// The ranks of <c>MPI_COMM_WORLD</c> through Open MPI: the processes <c>mpirun -np N</c> started.
/// Buffers are CPU tensors, handed to MPI by address (no copy). On one machine Open MPI moves them
/// through shared memory; across machines through its network transports.
/// </summary>
/// <remarks>
/// MPI is initialized once per process and cannot be initialized again after it is finalized, so one
/// communicator at a time may be open: <see cref="Dispose"/> finalizes MPI.
/// </remarks>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    static readonly Lock Gate = new();
    static bool _open;
    readonly Handles _handles;
    bool _disposed;

    MpiCommunicator(Handles handles, int rank, int size) => (_handles, Rank, Size) = (handles, rank, size);

    /// <summary>Initializes MPI in this process (<c>MPI_Init_thread</c>) and joins the world communicator.</summary>
    /// <exception cref="DllNotFoundException">Open MPI's library is not installed.</exception>
    /// <exception cref="InvalidOperationException">A communicator is already open, MPI was finalized in this process, or a call failed.</exception>
    public static MpiCommunicator Initialize()
    {
        lock (Gate)
        {
            if (_open) throw new InvalidOperationException("an MPI communicator is already open in this process: dispose it first");
            var handles = Open();
            Check(MPI_Finalized(out int finalized), nameof(MPI_Finalized));
            if (finalized != 0) throw new InvalidOperationException("MPI was already finalized in this process: it cannot be initialized again");
            Check(MPI_Initialized(out int initialized), nameof(MPI_Initialized));
            if (initialized == 0)
            {
                Check(MPI_Init_thread(null, null, ThreadSerialized, out int provided), nameof(MPI_Init_thread));
                if (provided < ThreadSerialized)
                    throw new InvalidOperationException($"MPI_Init_thread: this Open MPI provides thread level {provided}, below MPI_THREAD_SERIALIZED ({ThreadSerialized})");
            }
            Check(MPI_Comm_rank(handles.World, out int rank), nameof(MPI_Comm_rank));
            Check(MPI_Comm_size(handles.World, out int size), nameof(MPI_Comm_size));
            _open = true;
            return new MpiCommunicator(handles, rank, size);
        }
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Tensor buffer)
    {
        float* values = Elements(buffer, nameof(AllReduceSum));
        // MPI counts are ints: a buffer of more than 2³¹ − 1 elements goes in pieces.
        for (long start = 0; start < buffer.NumElements; start += int.MaxValue)
        {
            int count = (int)Math.Min(int.MaxValue, buffer.NumElements - start);
            Check(MPI_Allreduce(InPlace, values + start, count, _handles.Float, _handles.Sum, _handles.World), nameof(MPI_Allreduce));
        }
    }

    /// <summary>
    /// <c>MPI_Iallreduce</c> (one request per 2³¹ − 1 elements): the same reduction as <see cref="AllReduceSum"/>,
    /// started and left to run; MPI moves it on inside later MPI calls (<see cref="IPendingCollective.IsComplete"/>).
    /// </summary>
    public IPendingCollective StartAllReduceSum(Tensor buffer)
    {
        float* values = Elements(buffer, nameof(StartAllReduceSum));
        var requests = new nint[(buffer.NumElements + int.MaxValue - 1) / int.MaxValue];
        for (int piece = 0; piece < requests.Length; piece++)
        {
            long start = (long)piece * int.MaxValue;
            int count = (int)Math.Min(int.MaxValue, buffer.NumElements - start);
            fixed (nint* request = &requests[piece])
                Check(MPI_Iallreduce(InPlace, values + start, count, _handles.Float, _handles.Sum, _handles.World, request), nameof(MPI_Iallreduce));
        }
        return new MpiPendingCollective(requests);
    }

    /// <summary>The sum of <see cref="AllReduceSum"/>, then scaled by 1 / <see cref="Size"/> on each rank (the same bits on every rank).</summary>
    public void AllReduceAverage(Tensor buffer)
    {
        AllReduceSum(buffer);
        buffer.Backend.Scale(buffer, 1.0 / Size, buffer);
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor buffer, int root)
    {
        float* values = Elements(buffer, nameof(Broadcast));
        CollectiveBuffers.CheckRoot(root, Size);
        for (long start = 0; start < buffer.NumElements; start += int.MaxValue)
        {
            int count = (int)Math.Min(int.MaxValue, buffer.NumElements - start);
            Check(MPI_Bcast(values + start, count, _handles.Float, root, _handles.World), nameof(MPI_Bcast));
        }
    }

    /// <summary>Overwrites <paramref name="bytes"/> on every rank with rank <paramref name="root"/>'s (e.g. NCCL's unique id, <see cref="NcclCommunicator"/>).</summary>
    public void BroadcastBytes(Span<byte> bytes, int root)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CollectiveBuffers.CheckRoot(root, Size);
        fixed (byte* pointer = bytes)
            Check(MPI_Bcast(pointer, bytes.Length, _handles.Byte, root, _handles.World), nameof(MPI_Bcast));
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Check(MPI_Barrier(_handles.World), nameof(MPI_Barrier));
    }

    /// <summary>Finalizes MPI (<c>MPI_Finalize</c>, which waits for every rank); no MPI call may follow in this process.</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed) return;
            _disposed = true;
            _open = false;
            Check(MPI_Finalize(), nameof(MPI_Finalize));
        }
    }

    float* Elements(Tensor buffer, string call)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CollectiveBuffers.CheckFloat32On(buffer, Device.Cpu, call, "MPI");
        return (float*)((CpuStorage)buffer.Storage).Pointer;
    }
}
