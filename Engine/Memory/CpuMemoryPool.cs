using System.Runtime.InteropServices;

namespace CudaBert.Engine.Memory;

/// <summary>
/// Native (non-GC) memory for CPU tensors, recycled through exact-size free lists: a training step
/// allocates the same sizes every time, so after the first step every request is served from a
/// list and nothing reaches the OS allocator. Blocks are 64-byte aligned (a cache line, a
/// <c>Vector512</c>). <see cref="Trim"/> returns the cached blocks to the OS.
/// </summary>
public static unsafe class CpuMemoryPool
{
    private const nuint Alignment = 64;
    private static readonly Dictionary<long, Stack<nint>> FreeBlocks = [];
    private static readonly Lock Gate = new();
    private static long cachedBytes;

    /// <summary>Bytes held in free lists, ready for reuse.</summary>
    public static long CachedBytes => Interlocked.Read(ref cachedBytes);

    public static void* Rent(long byteLength)
    {
        lock (Gate)
        {
            if (FreeBlocks.TryGetValue(byteLength, out var stack) && stack.Count > 0)
            {
                cachedBytes -= byteLength;
                return (void*)stack.Pop();
            }
        }
        // Zero-length tensors still get a distinct, valid pointer.
        return NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), Alignment);
    }

    public static void Return(void* block, long byteLength)
    {
        lock (Gate)
        {
            if (!FreeBlocks.TryGetValue(byteLength, out var stack))
                FreeBlocks[byteLength] = stack = new Stack<nint>();
            stack.Push((nint)block);
            cachedBytes += byteLength;
        }
    }

    /// <summary>Frees every cached block.</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            foreach (var stack in FreeBlocks.Values)
                while (stack.Count > 0) NativeMemory.AlignedFree((void*)stack.Pop());
            FreeBlocks.Clear();
            cachedBytes = 0;
        }
    }
}
