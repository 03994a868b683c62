namespace CudaBert.Engine.Distributed;

/// <summary>The argument checks every communicator makes, with messages that name the call, the tensor and the rule.</summary>
static class CollectiveBuffers
{
    /// <summary>Collectives reduce Float32 elements (MPI_FLOAT, ncclFloat32): gradients and parameters are Float32.</summary>
    public static void CheckFloat32(Tensor buffer, string call)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.DType != DType.Float32)
            throw new ArgumentException($"{call}: the buffer must be Float32, not {buffer}", nameof(buffer));
    }

    /// <summary>As <see cref="CheckFloat32"/>, and the buffer must be on <paramref name="device"/> (the one the library reads).</summary>
    public static void CheckFloat32On(Tensor buffer, Device device, string call, string library)
    {
        CheckFloat32(buffer, call);
        if (buffer.Device != device)
            throw new ArgumentException($"{call}: {library} reduces {device} buffers, not {buffer}", nameof(buffer));
    }

    /// <summary>A root must be one of the ranks.</summary>
    public static void CheckRoot(int root, int size)
    {
        if (root < 0 || root >= size)
            throw new ArgumentOutOfRangeException(nameof(root), $"root rank {root} is not in [0, {size})");
    }
}
