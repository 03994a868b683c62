using CudaBert.Kernels.Device;

namespace CudaBert.Engine.Cuda;

/// <summary>
/// The device memory of one captured graph: the blocks its work was captured with, free lists per size
/// class like the <see cref="CachingAllocator"/>'s own. A block rented while the pool was open belongs to
/// it until <see cref="CachingAllocator.ReleasePool"/>: returned, it waits here for the graph's next
/// capture-time request, and no one else can be handed it, so every replay finds its memory where the
/// capture left it.
/// </summary>
public sealed class GraphMemoryPool
{
    internal Dictionary<long, Stack<DevicePtr>> FreeBlocks { get; } = [];
}
