namespace CudaBert.Engine.Memory;

/// <summary>Host memory from <see cref="CpuMemoryPool"/>. Contents are undefined until written.</summary>
public sealed unsafe class CpuStorage : Storage
{
    private readonly void* pointer;
    private readonly long capacity;   // the pool block's size class, ≥ ByteLength

    public CpuStorage(long byteLength) : base(byteLength) => pointer = CpuMemoryPool.Rent(byteLength, out capacity);

    public override Device Device => Device.Cpu;

    public void* Pointer => IsReleased ? throw new ObjectDisposedException(nameof(CpuStorage)) : pointer;

    public Span<T> AsSpan<T>(long elementCount) where T : unmanaged
    {
        if (elementCount * sizeof(T) > ByteLength || elementCount > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(elementCount), $"{elementCount} × {sizeof(T)} bytes exceed the {ByteLength}-byte storage");
        return new Span<T>(Pointer, (int)elementCount);
    }

    protected override void Free() => CpuMemoryPool.Return(pointer, capacity);
}
