using System.Numerics;
using System.Runtime.InteropServices;

namespace CudaBert.Engine.Memory;

/// <summary>
/// Native (non-GC) memory for CPU tensors, recycled through size-class free lists: a request is
/// rounded up to its class (<see cref="SizeClass"/>), served from that class's list when a block
/// is free, and returned to it on release. A training step allocates the same sizes every time,
/// so after the first step nothing reaches the OS allocator; with varying batch shapes the
/// classes bound both the number of lists and the waste (under 12.5 %). Blocks are 64-byte
/// aligned (a cache line, a <c>Vector512</c>).
/// <para>The free lists hold at most <see cref="CacheLimit"/> bytes: a block returned beyond it goes
/// straight back to the OS, so a long-lived process cannot grow without bound by caching sizes it will
/// not ask for again. <see cref="Trim"/> returns every cached block (disposing a module does, as a
/// model's weights are the largest blocks a process frees and the next model rarely has their sizes).</para>
/// </summary>
public static unsafe class CpuMemoryPool
{
    private const nuint Alignment = 64;
    private static readonly Dictionary<long, Stack<nint>> FreeBlocks = [];
    private static readonly Lock Gate = new();
    private static long cachedBytes;
    private static long cacheLimit = DefaultCacheLimit();

    /// <summary>Bytes held in free lists, ready for reuse.</summary>
    public static long CachedBytes => Interlocked.Read(ref cachedBytes);

    /// <summary>
    /// The most bytes the free lists keep (default: a quarter of the memory available to the process,
    /// at most 4 GiB). Lowering it frees cached blocks, largest first, until the cache fits.
    /// </summary>
    public static long CacheLimit
    {
        get => Interlocked.Read(ref cacheLimit);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (Gate)
            {
                cacheLimit = value;
                foreach (long size in FreeBlocks.Keys.OrderDescending())
                {
                    var stack = FreeBlocks[size];
                    while (cachedBytes > cacheLimit && stack.Count > 0)
                    {
                        NativeMemory.AlignedFree((void*)stack.Pop());
                        cachedBytes -= size;
                    }
                }
            }
        }
    }

    static long DefaultCacheLimit() => Math.Min(4L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4);

    /// <summary>
    /// The block size serving a request: multiples of 64 bytes up to 4 KiB, then eight classes per
    /// power of two (the request rounded up to its top three significant bits).
    /// </summary>
    public static long SizeClass(long byteLength)
    {
        if (byteLength <= 4096) return Math.Max(64, (byteLength + 63) & ~63L);
        int shift = 63 - BitOperations.LeadingZeroCount((ulong)byteLength) - 3;   // keep the top 3 bits below the leading one
        long step = 1L << shift;
        return (byteLength + step - 1) & ~(step - 1);
    }

    /// <summary>A block of at least <paramref name="byteLength"/> bytes; its real size is <paramref name="capacity"/>.</summary>
    public static void* Rent(long byteLength, out long capacity)
    {
        capacity = SizeClass(byteLength);
        lock (Gate)
        {
            if (FreeBlocks.TryGetValue(capacity, out var stack) && stack.Count > 0)
            {
                cachedBytes -= capacity;
                return (void*)stack.Pop();
            }
        }
        return NativeMemory.AlignedAlloc((nuint)capacity, Alignment);
    }

    /// <summary>Gives back a block obtained from <see cref="Rent"/> with its capacity: cached for reuse, or freed when the cache is full.</summary>
    public static void Return(void* block, long capacity)
    {
        lock (Gate)
        {
            if (cachedBytes + capacity <= cacheLimit)
            {
                if (!FreeBlocks.TryGetValue(capacity, out var stack))
                    FreeBlocks[capacity] = stack = new Stack<nint>();
                stack.Push((nint)block);
                cachedBytes += capacity;
                return;
            }
        }
        NativeMemory.AlignedFree(block);
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
