using CudaBert.Engine.Cuda;
using static CudaBert.Engine.Distributed.NcclLibrary;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// Ranks that each drive one GPU, through NVIDIA's NCCL: buffers are CUDA tensors, reduced by NCCL's
/// kernels over NVLink, PCIe or the network, queued on the default stream after the kernels that
/// wrote them (so no host wait is needed between a backward pass and its all-reduce).
/// </summary>
/// <remarks>
/// NCCL needs its ranks to agree on one 128-byte id, made by rank 0, before they can connect: the
/// caller passes a way to share it (<see cref="Communicators.FromEnvironment(Device)"/> uses MPI under mpirun, <see cref="TcpRendezvous"/> otherwise).
/// Each rank must have made its GPU current (opened the CUDA backend) before <see cref="Create"/>.
/// </remarks>
public sealed unsafe class NcclCommunicator : ICommunicator
{
    readonly nint _communicator;
    readonly IDisposable? _bootstrap;
    bool _disposed;

    NcclCommunicator(nint communicator, int rank, int size, IDisposable? bootstrap) =>
        (_communicator, Rank, Size, _bootstrap) = (communicator, rank, size, bootstrap);

    /// <summary>Joins the group of <paramref name="size"/> ranks as rank <paramref name="rank"/>.</summary>
    /// <param name="rank">This process's rank, in [0, size).</param>
    /// <param name="size">The number of ranks.</param>
    /// <param name="shareFromRankZero">
    /// Called on every rank with a 128-byte array that, on rank 0, holds NCCL's unique id; on return it
    /// must hold rank 0's bytes on every rank (e.g. an MPI broadcast).
    /// </param>
    /// <param name="bootstrap">Disposed with this communicator (e.g. the MPI communicator that shared the id); null: none.</param>
    /// <exception cref="DllNotFoundException">NCCL is not installed: the message names <c>libnccl.so.2</c>.</exception>
    /// <exception cref="InvalidOperationException">An NCCL call failed.</exception>
    public static NcclCommunicator Create(int rank, int size, Action<byte[]> shareFromRankZero, IDisposable? bootstrap = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        if (rank < 0 || rank >= size) throw new ArgumentOutOfRangeException(nameof(rank), $"rank {rank} is not in [0, {size})");
        Open();
        UniqueId id = default;
        if (rank == 0) Check(ncclGetUniqueId(&id), nameof(ncclGetUniqueId));
        var bytes = new Span<byte>(id.Bytes, UniqueId.Size).ToArray();
        shareFromRankZero(bytes);
        bytes.CopyTo(new Span<byte>(id.Bytes, UniqueId.Size));
        Check(ncclCommInitRank(out nint communicator, size, id, rank), nameof(ncclCommInitRank));
        return new NcclCommunicator(communicator, rank, size, bootstrap);
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Tensor buffer) => AllReduce(buffer, Sum, nameof(AllReduceSum));

    /// <inheritdoc/>
    public void AllReduceAverage(Tensor buffer) => AllReduce(buffer, Average, nameof(AllReduceAverage));

    /// <summary>
    /// Queues the all-reduce on the default stream, after the kernels that wrote the buffer and before
    /// those that read it, and returns: the device's queue orders it, so there is nothing to wait for on
    /// the host. (It runs between the kernels queued around it; a second stream would let it overlap them.)
    /// </summary>
    public IPendingCollective StartAllReduceSum(Tensor buffer)
    {
        AllReduce(buffer, Sum, nameof(StartAllReduceSum));
        return CompletedCollective.Instance;
    }

    void AllReduce(Tensor buffer, int operation, string call)
    {
        ulong address = Address(buffer, call);
        Check(ncclAllReduce(address, address, (nuint)buffer.NumElements, Float32, operation, _communicator, stream: 0), nameof(ncclAllReduce));
    }

    /// <inheritdoc/>
    public void Broadcast(Tensor buffer, int root)
    {
        ulong address = Address(buffer, nameof(Broadcast));
        CollectiveBuffers.CheckRoot(root, Size);
        Check(ncclBcast(address, (nuint)buffer.NumElements, Float32, root, _communicator, stream: 0), nameof(ncclBcast));
    }

    /// <summary>NCCL has no barrier: an all-reduce of one element, waited for on the host, is one.</summary>
    public void Barrier()
    {
        using var token = Tensor.Zeros([1], DType.Float32, Device.Cuda);
        AllReduceSum(token);
        token.ToArray<float>();
    }

    /// <summary>Destroys the NCCL communicator, then disposes the bootstrap.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Check(ncclCommDestroy(_communicator), nameof(ncclCommDestroy));
        _bootstrap?.Dispose();
    }

    ulong Address(Tensor buffer, string call)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CollectiveBuffers.CheckFloat32On(buffer, Device.Cuda, call, "NCCL");
        return ((CudaStorage)buffer.Storage).Pointer.Address;
    }
}
