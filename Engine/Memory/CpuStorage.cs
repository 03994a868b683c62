namespace CudaBert.Engine.Memory;

/// <summary>Host memory from <see cref="CpuMemoryPool"/>. Contents are undefined until written.</summary>
public sealed unsafe class CpuStorage : Storage
{
    private readonly void* pointer;
    private readonly long capacity;   // the pool block's size class, ≥ ByteLength

    /// <summary>Rents <paramref name="byteLength"/> bytes of host memory from <see cref="CpuMemoryPool"/> (not zeroed).</summary>
    public CpuStorage(long byteLength) : base(byteLength) => pointer = CpuMemoryPool.Rent(byteLength, out capacity);

    /// <inheritdoc/>
    public override Device Device => Device.Cpu;

    /// <summary>Address of the first byte; throws <see cref="ObjectDisposedException"/> once released.</summary>
    public void* Pointer => IsReleased ? throw new ObjectDisposedException(nameof(CpuStorage)) : pointer;

    /// <summary>
    /// The first <paramref name="elementCount"/> elements of type <typeparamref name="T"/> as a span. Throws
    /// <see cref="ArgumentOutOfRangeException"/> when they do not fit in the storage or exceed int.MaxValue.
    /// </summary>
    public Span<T> AsSpan<T>(long elementCount) where T : unmanaged
    {
        if (elementCount * sizeof(T) > ByteLength || elementCount > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(elementCount), $"{elementCount} × {sizeof(T)} bytes exceed the {ByteLength}-byte storage");
        return new Span<T>(Pointer, (int)elementCount);
    }

    /// <summary>Returns the block to <see cref="CpuMemoryPool"/> for reuse.</summary>
    protected override void Free() => CpuMemoryPool.Return(pointer, capacity);
}
