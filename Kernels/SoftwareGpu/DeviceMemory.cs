namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>One allocation of the software GPU's global memory.</summary>
internal sealed class Allocation(ulong address, byte[] data, bool trackInitialized)
{
    public ulong Address { get; } = address;
    public byte[] Data { get; } = data;
    public long Size => Data.LongLength;
    public ulong End => Address + (ulong)Data.LongLength;
    /// <summary>One flag per byte: has anything written it? Only kept when uninitialized-read checking is on.</summary>
    public bool[]? Initialized { get; } = trackInitialized ? new bool[data.Length] : null;

    public void MarkInitialized(long offset, long count)
    {
        if (Initialized is not null) Array.Fill(Initialized, true, (int)offset, (int)count);
    }
}

/// <summary>
/// The software GPU's global memory: a set of live allocations at addresses that look like device
/// addresses (from 0x7f00_0000_0000), each followed by a guard gap, so an access that runs off an
/// allocation lands on no allocation and is reported. Addresses are never reused, so a
/// use-after-free is caught the same way. Lookup is a binary search over the (always sorted)
/// base addresses, with the last hit cached.
/// </summary>
internal sealed class DeviceMemory
{
    public const ulong BaseAddress = 0x7f00_0000_0000;
    const ulong Alignment = 256;
    const ulong GuardBytes = 4096;

    readonly List<Allocation> _live = [];
    ulong _next = BaseAddress;
    Allocation? _lastHit;

    /// <summary>When true, new allocations track which bytes were written (for uninitialized-read reports).</summary>
    public bool TrackInitialized { get; set; }
    public long BytesInUse { get; private set; }

    public Allocation Allocate(long bytes)
    {
        if (bytes <= 0 || bytes > Array.MaxLength) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "allocation size must be between 1 and 2^31 bytes");
        var a = new Allocation(_next, new byte[bytes], TrackInitialized);
        _next = (a.End + GuardBytes + Alignment - 1) / Alignment * Alignment;
        _live.Add(a);
        BytesInUse += bytes;
        return a;
    }

    /// <summary>Frees the allocation that starts at <paramref name="address"/>; false when there is none.</summary>
    public bool Free(ulong address)
    {
        int i = IndexOf(address);
        if (i < 0 || _live[i].Address != address) return false;
        BytesInUse -= _live[i].Size;
        if (_lastHit == _live[i]) _lastHit = null;
        _live.RemoveAt(i);
        return true;
    }

    /// <summary>The live allocation containing all of [address, address + bytes), or null.</summary>
    public Allocation? Find(ulong address, long bytes)
    {
        var hit = _lastHit; // read once: blocks running in parallel may replace the cache concurrently (harmless)
        if (hit is null || address < hit.Address || address + (ulong)bytes > hit.End)
        {
            int i = IndexOf(address);
            if (i < 0) return null;
            hit = _live[i];
            if (address + (ulong)bytes > hit.End) return null;
            _lastHit = hit;
        }
        return hit;
    }

    /// <summary>Index of the allocation with the largest base ≤ address that contains it, or -1.</summary>
    int IndexOf(ulong address)
    {
        int lo = 0, hi = _live.Count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_live[mid].Address <= address) { found = mid; lo = mid + 1; }
            else hi = mid - 1;
        }
        return found >= 0 && address < _live[found].End ? found : -1;
    }

    /// <summary>A span over [address, address + bytes) of one allocation; throws naming the address when it is not live memory.</summary>
    public Span<byte> Span(ulong address, long bytes, string call)
    {
        var a = Find(address, bytes) ?? throw new Device.CudaException(call, 1, "CUDA_ERROR_INVALID_VALUE",
            detail: $"[0x{address:x}, +{bytes}) is not inside one live allocation");
        return a.Data.AsSpan((int)(address - a.Address), (int)bytes);
    }
}
