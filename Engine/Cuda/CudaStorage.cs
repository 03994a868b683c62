using CudaBert.Engine.Memory;
using CudaBert.Kernels.Device;

namespace CudaBert.Engine.Cuda;

/// <summary>A tensor's memory on the GPU, rented from a <see cref="CachingAllocator"/> and returned to it on release.</summary>
public sealed class CudaStorage : Storage
{
    private readonly DeviceBlock block;

    internal CudaStorage(CachingAllocator allocator, long byteLength) : base(byteLength)
    {
        Allocator = allocator;
        block = allocator.Rent(byteLength);
    }

    /// <inheritdoc/>
    public override Device Device => Device.Cuda;

    /// <summary>The allocator (and so the device) this memory belongs to.</summary>
    public CachingAllocator Allocator { get; }

    /// <summary>The device address of the first byte (null for a zero-length tensor).</summary>
    public DevicePtr Pointer => IsReleased ? throw new ObjectDisposedException(nameof(CudaStorage)) : block.Pointer;

    /// <summary>Returns the block to its allocator's free list (the driver is not called).</summary>
    protected override void Free() => Allocator.Return(block);
}
