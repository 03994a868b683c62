using CudaBert.Engine.Cuda;
using CudaBert.Kernels.Device;
using static CudaBert.Engine.Distributed.NcclLibrary;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// Ranks that each drive one GPU, through NVIDIA's NCCL: buffers are CUDA tensors, reduced by NCCL's
/// kernels over NVLink, PCIe or the network. They run on a stream of their own, ordered against the
/// backend's stream by events and not by the host: a collective starts once the kernels queued
/// before it (those that wrote its buffer) are done, kernels queued after it go on meanwhile, and
/// those queued after its <see cref="IPendingCollective.Wait"/> start once it is done. So the
/// gradient buckets' all-reduces run beside the rest of the backward pass, and no call waits on the host.
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
    readonly ICudaDevice _gpu;
    readonly CudaStream _stream;   // NCCL's own: its kernels overlap the backend's
    bool _disposed;

    NcclCommunicator(nint communicator, int rank, int size, IDisposable? bootstrap, ICudaDevice gpu)
    {
        (_communicator, Rank, Size, _bootstrap, _gpu) = (communicator, rank, size, bootstrap, gpu);
        _stream = gpu.CreateStream();
    }

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
        return new NcclCommunicator(communicator, rank, size, bootstrap, CudaBackend.Current.Gpu);
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }

    /// <inheritdoc/>
    public void AllReduceSum(Tensor buffer) => StartAllReduceSum(buffer).Wait();

    /// <inheritdoc/>
    public void AllReduceAverage(Tensor buffer) => Enqueue(buffer, nameof(AllReduceAverage),
        (address, stream) => ncclAllReduce(address, address, (nuint)buffer.NumElements, Float32, Average, _communicator, stream)).Wait();

    /// <summary>
    /// Queues the all-reduce on NCCL's stream behind the work already queued on the backend's, and returns:
    /// nothing waits on the host. <see cref="IPendingCollective.Wait"/> makes the backend's later work wait for it.
    /// </summary>
    public IPendingCollective StartAllReduceSum(Tensor buffer) => Enqueue(buffer, nameof(StartAllReduceSum),
        (address, stream) => ncclAllReduce(address, address, (nuint)buffer.NumElements, Float32, Sum, _communicator, stream));

    /// <inheritdoc/>
    public void Broadcast(Tensor buffer, int root)
    {
        CollectiveBuffers.CheckRoot(root, Size);
        Enqueue(buffer, nameof(Broadcast),
            (address, stream) => ncclBcast(address, (nuint)buffer.NumElements, Float32, root, _communicator, stream)).Wait();
    }

    /// <summary>
    /// Runs <paramref name="collective"/> (given the buffer's address and NCCL's stream) on NCCL's stream once
    /// the backend's stream has reached this point: an event recorded there, waited for here.
    /// </summary>
    IPendingCollective Enqueue(Tensor buffer, string call, Func<ulong, nint, int> collective)
    {
        ulong address = Address(buffer, call);
        var ready = _gpu.CreateEvent();
        _gpu.Record(ready);
        _gpu.WaitEvent(_stream, ready);
        _gpu.DestroyEvent(ready);   // released once reached; the wait is already queued
        Check(collective(address, _stream.Handle), call);
        var done = _gpu.CreateEvent();
        _gpu.Record(done, _stream);
        return new Pending(_gpu, done);
    }

    /// <summary>An NCCL collective in flight on NCCL's stream, known by the event recorded after it.</summary>
    sealed class Pending(ICudaDevice gpu, CudaEvent done) : IPendingCollective
    {
        bool _waited;

        /// <summary>True once <see cref="Wait"/> has ordered the backend's stream after it (the host cannot tell sooner without a query).</summary>
        public bool IsComplete() => _waited;

        /// <summary>Makes the work queued on the backend's stream from now on wait for the collective; the host does not wait.</summary>
        public void Wait()
        {
            if (_waited) return;
            _waited = true;
            gpu.WaitEvent(null, done);
            gpu.DestroyEvent(done);
        }
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
        _gpu.DestroyStream(_stream);
        _bootstrap?.Dispose();
    }

    ulong Address(Tensor buffer, string call)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CollectiveBuffers.CheckFloat32On(buffer, Device.Cuda, call, "NCCL");
        return ((CudaStorage)buffer.Storage).Pointer.Address;
    }
}
