namespace CudaBert.Engine.Distributed;

/// <summary>
/// A group of processes ("ranks", numbered 0 … <see cref="Size"/> − 1) that run the same program on
/// different data and meet in collective operations: each rank calls the same operations in the
/// same order with buffers of the same shape, and each call returns once every rank has made it.
/// Data-parallel training uses three: a broadcast of rank 0's initial parameters, all-reduces of
/// the gradients during and after every backward pass, and a barrier.
/// </summary>
/// <remarks>
/// Buffers are Float32 tensors, reduced in place. Implementations: <see cref="SingleProcessCommunicator"/>
/// (one rank, every operation a no-op), <see cref="MpiCommunicator"/> (CPU tensors, Open MPI) and
/// <see cref="NcclCommunicator"/> (CUDA tensors, NCCL). <see cref="Communicators.FromEnvironment(Device)"/> picks one.
/// </remarks>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's number in the group, from 0.</summary>
    int Rank { get; }

    /// <summary>The number of processes in the group (the "world size").</summary>
    int Size { get; }

    /// <summary>Replaces <paramref name="buffer"/> on every rank by the element-wise sum of all ranks' buffers.</summary>
    void AllReduceSum(Tensor buffer);

    /// <summary>Replaces <paramref name="buffer"/> on every rank by the element-wise mean of all ranks' buffers.</summary>
    void AllReduceAverage(Tensor buffer);

    /// <summary>
    /// Starts <see cref="AllReduceSum"/> and returns without waiting for it (the same result, bit for bit,
    /// once the returned collective completes). Every rank must start its collectives in the same order;
    /// several may run at once (<see cref="GradientBuckets"/> overlaps them with the backward pass).
    /// </summary>
    IPendingCollective StartAllReduceSum(Tensor buffer);

    /// <summary>Overwrites <paramref name="buffer"/> on every rank with rank <paramref name="root"/>'s values.</summary>
    void Broadcast(Tensor buffer, int root);

    /// <summary>Returns once every rank has called it.</summary>
    void Barrier();
}
