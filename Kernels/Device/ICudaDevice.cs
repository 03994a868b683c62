namespace CudaBert.Kernels.Device;

/// <summary>An address in a device's global memory. Plain value: freeing is the device's job.</summary>
public readonly record struct DevicePtr(ulong Address)
{
    public static readonly DevicePtr Null = new(0);
    public bool IsNull => Address == 0;
    public DevicePtr Offset(long bytes) => new(checked((ulong)((long)Address + bytes)));
    public override string ToString() => $"0x{Address:x}";
}

/// <summary>Grid or block extent, as CUDA's <c>dim3</c>.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    public static implicit operator Dim3(uint x) => new(x);
    public static implicit operator Dim3(int x) => new(checked((uint)x));
    public ulong Count => (ulong)X * Y * Z;
}

/// <summary>What a device is.</summary>
public sealed record DeviceInfo(
    string Name,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    long TotalMemoryBytes,
    int MultiprocessorCount,
    /// <summary>CUDA driver version as the driver reports it (e.g. 12040 for 12.4); 0 for the software GPU.</summary>
    int DriverVersion,
    bool IsSoftware,
    /// <summary>The most shared memory one block may have after opting in (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN): 227 KB on Hopper, 163 KB on the A100, 99 KB on consumer Ampere and Ada.</summary>
    int MaxSharedBytesPerBlockOptIn);

/// <summary>
/// "A CUDA device": the small surface the CUDA backend needs. Two implementations: the real driver
/// (P/Invoke to libcuda) and the software GPU (an interpreter of our PTX). Every failure is a
/// <see cref="CudaException"/> that names the call, the CUDA error and, for launches, the kernel.
/// </summary>
public interface ICudaDevice : IDisposable
{
    DeviceInfo Info { get; }

    DevicePtr Allocate(long bytes);
    void Free(DevicePtr ptr);

    /// <summary>
    /// Host → device. On a stream the call may return before the copy is done on the device, but
    /// <paramref name="source"/> has been read when it returns (it may be reused at once).
    /// </summary>
    void CopyToDevice<T>(ReadOnlySpan<T> source, DevicePtr destination, CudaStream? stream = null) where T : unmanaged;
    /// <summary>Device → host. Returns when <paramref name="destination"/> holds the data, also on a stream.</summary>
    void CopyToHost<T>(DevicePtr source, Span<T> destination, CudaStream? stream = null) where T : unmanaged;
    void CopyDeviceToDevice(DevicePtr source, DevicePtr destination, long bytes, CudaStream? stream = null);
    void Memset(DevicePtr destination, byte value, long bytes, CudaStream? stream = null);

    /// <summary>Loads a PTX module once (cached by name) and returns it.</summary>
    CudaModule LoadModule(string name, string ptx);
    /// <summary>Looks up a kernel in a loaded module (cached).</summary>
    CudaFunction GetFunction(CudaModule module, string kernelName);

    /// <summary>
    /// Launches <paramref name="kernel"/>. <paramref name="dynamicSharedBytes"/> may exceed 48 KB minus the
    /// kernel's static shared memory only after <see cref="SetMaxDynamicSharedBytes"/> raised the kernel's
    /// limit; otherwise the launch fails with CUDA_ERROR_INVALID_VALUE naming the kernel (as on hardware).
    /// </summary>
    void Launch(CudaFunction kernel, Dim3 grid, Dim3 block, int dynamicSharedBytes, CudaStream? stream, KernelArgs args);

    /// <summary>
    /// cuFuncSetAttribute(CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES): lets <paramref name="kernel"/> be
    /// launched with up to <paramref name="bytes"/> of dynamic shared memory (the opt-in that kernels need
    /// above the default 48 KB per block). Fails with CUDA_ERROR_INVALID_VALUE when static plus
    /// <paramref name="bytes"/> exceed what one block may have (227 KB on Hopper, 163 KB on the A100).
    /// Setting the value a kernel already has is cheap (cached).
    /// </summary>
    void SetMaxDynamicSharedBytes(CudaFunction kernel, int bytes);

    CudaStream CreateStream();
    void DestroyStream(CudaStream stream);
    CudaEvent CreateEvent();
    void DestroyEvent(CudaEvent ev);
    void Record(CudaEvent ev, CudaStream? stream = null);
    /// <summary>Milliseconds between two recorded events (synchronizes on <paramref name="end"/>).</summary>
    float ElapsedMilliseconds(CudaEvent start, CudaEvent end);
    void Synchronize(CudaStream? stream = null);
}
