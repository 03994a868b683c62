using CudaBert.Kernels.Device;

namespace CudaBert.Tests.CudaDevice;

/// <summary>A typed device allocation for tests: upload, download, free on dispose.</summary>
sealed class DeviceArray<T> : IDisposable where T : unmanaged
{
    readonly ICudaDevice _device;
    public DevicePtr Ptr { get; }
    public int Length { get; }

    /// <summary>An array holding a copy of <paramref name="values"/>.</summary>
    public DeviceArray(ICudaDevice device, ReadOnlySpan<T> values) : this(device, values.Length, fill: null) =>
        device.CopyToDevice(values, Ptr);

    /// <summary>
    /// An array of <paramref name="length"/> elements with every byte set to <paramref name="fill"/>
    /// (default 0xFF: NaN for floats, -1 for ints, so an output the kernel forgot to write shows up).
    /// </summary>
    public DeviceArray(ICudaDevice device, int length, byte? fill = 0xFF)
    {
        _device = device;
        Length = length;
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        Ptr = device.Allocate(bytes);
        if (fill is byte value)
            device.Memset(Ptr, value, bytes);
    }

    public T[] Read()
    {
        var values = new T[Length];
        _device.CopyToHost<T>(Ptr, values);
        return values;
    }

    public void Dispose() => _device.Free(Ptr);
}
