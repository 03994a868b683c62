namespace CudaBert.Engine.Memory;

/// <summary>
/// A block of device memory shared by a tensor and its views (reshape, detach), reference-counted:
/// each tensor over it holds one reference, and the block goes back to its device's pool when
/// the last one is released. Never finalized by the GC: a leaked tensor is a leak you can see in
/// <see cref="MemoryStats"/>.
/// </summary>
public abstract class Storage
{
    private int references = 1;

    /// <summary>Counts <paramref name="byteLength"/> bytes as live in <see cref="MemoryStats"/>; the new storage holds one reference.</summary>
    protected Storage(long byteLength)
    {
        ByteLength = byteLength;
        MemoryStats.OnAllocated(byteLength);
    }

    /// <summary>The device this memory is on.</summary>
    public abstract Device Device { get; }

    /// <summary>Size in bytes as requested (the pool may hold a larger block behind it).</summary>
    public long ByteLength { get; }

    /// <summary>True once the last reference is released and the memory has gone back to its pool.</summary>
    public bool IsReleased => Volatile.Read(ref references) <= 0;

    internal void AddReference()
    {
        if (Interlocked.Increment(ref references) <= 1)
            throw new InvalidOperationException("storage was already released");
    }

    internal void Release()
    {
        int left = Interlocked.Decrement(ref references);
        if (left == 0)
        {
            Free();
            MemoryStats.OnFreed(ByteLength);
        }
        else if (left < 0) throw new InvalidOperationException("storage released twice");
    }

    /// <summary>Gives the memory back to the device's pool.</summary>
    protected abstract void Free();
}
