using CudaBert.Kernels.Device;

namespace CudaBert.Course;

/// <summary>Device allocations made for one benchmark problem, all freed together.</summary>
sealed class DeviceBuffers(ICudaDevice gpu) : IDisposable
{
    readonly List<DevicePtr> _allocations = [];
    readonly Random _random = new(1234);

    /// <summary><paramref name="count"/> floats uniform in [-1, 1).</summary>
    public DevicePtr Random(long count)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++) values[i] = 2 * _random.NextSingle() - 1;
        var pointer = Bytes(count * sizeof(float));
        gpu.CopyToDevice<float>(values, pointer);
        return pointer;
    }

    /// <summary><paramref name="bytes"/> bytes set to zero (an output: the software GPU's sanitizer then never sees an unwritten read).</summary>
    public DevicePtr Zeros(long bytes)
    {
        var pointer = Bytes(bytes);
        gpu.Memset(pointer, 0, Math.Max(bytes, 4));
        return pointer;
    }

    DevicePtr Bytes(long bytes)
    {
        var pointer = gpu.Allocate(Math.Max(bytes, 4));
        _allocations.Add(pointer);
        return pointer;
    }

    public void Dispose()
    {
        foreach (var pointer in _allocations) gpu.Free(pointer);
        _allocations.Clear();
    }
}
