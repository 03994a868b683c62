namespace CudaBert.Kernels.Device;

/// <summary>An address in a device's global memory. Plain value: freeing is the device's job.</summary>
public readonly record struct DevicePtr(ulong Address)
{
    /// <summary>Address 0: no allocation. Devices never hand it out, and freeing it does nothing.</summary>
    public static readonly DevicePtr Null = new(0);
    /// <summary>True for address 0 (<see cref="Null"/>).</summary>
    public bool IsNull => Address == 0;
    /// <summary>The address <paramref name="bytes"/> bytes further on (negative goes back); throws <see cref="OverflowException"/> on wrap-around.</summary>
    public DevicePtr Offset(long bytes) => new(checked((ulong)((long)Address + bytes)));
    /// <summary>The address in hexadecimal, e.g. <c>0x7f2a00000000</c>.</summary>
    public override string ToString() => $"0x{Address:x}";
}

/// <summary>Grid or block extent, as CUDA's <c>dim3</c>.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1)
{
    /// <summary>A one-dimensional extent <c>(x, 1, 1)</c>.</summary>
    public static implicit operator Dim3(uint x) => new(x);
    /// <summary>A one-dimensional extent <c>(x, 1, 1)</c>; throws <see cref="OverflowException"/> for a negative <paramref name="x"/>.</summary>
    public static implicit operator Dim3(int x) => new(checked((uint)x));
    /// <summary>X · Y · Z: the number of blocks in a grid, or of threads in a block.</summary>
    public ulong Count => (ulong)X * Y * Z;
}

/// <summary>What a device is.</summary>
/// <param name="Name">The device's name as the driver reports it (e.g. "NVIDIA H100 80GB HBM3"), or the software GPU's.</param>
/// <param name="ComputeCapabilityMajor">Major compute capability (9 for Hopper, 8 for Ampere and Ada).</param>
/// <param name="ComputeCapabilityMinor">Minor compute capability (0 for the H100 and A100, 6 for consumer Ampere, 9 for Ada).</param>
/// <param name="TotalMemoryBytes">Global memory in bytes.</param>
/// <param name="MultiprocessorCount">Number of streaming multiprocessors (SMs).</param>
/// <param name="DriverVersion">CUDA driver version as the driver reports it (e.g. 12040 for 12.4); 0 for the software GPU.</param>
/// <param name="IsSoftware">True for the software GPU (the PTX interpreter), false for a real GPU.</param>
/// <param name="MaxSharedBytesPerBlockOptIn">The most shared memory one block may have after opting in with <see cref="ICudaDevice.SetMaxDynamicSharedBytes"/> (CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN): 227 KB on Hopper, 163 KB on the A100, 99 KB on consumer Ampere and Ada.</param>
public sealed record DeviceInfo(
    string Name,
    int ComputeCapabilityMajor,
    int ComputeCapabilityMinor,
    long TotalMemoryBytes,
    int MultiprocessorCount,
    int DriverVersion,
    bool IsSoftware,
    int MaxSharedBytesPerBlockOptIn);

/// <summary>
/// "A CUDA device": the small surface the CUDA backend needs. Two implementations: the real driver
/// (P/Invoke to libcuda) and the software GPU (an interpreter of our PTX). Every failure is a
/// <see cref="CudaException"/> that names the call, the CUDA error and, for launches, the kernel.
/// </summary>
public interface ICudaDevice : IDisposable
{
    /// <summary>Name, compute capability, memory and limits of this device.</summary>
    DeviceInfo Info { get; }

    /// <summary>
    /// Allocates <paramref name="bytes"/> (more than 0) of global memory, aligned to at least 256 bytes and not
    /// initialized. Throws <see cref="CudaException"/> when the device cannot provide it (CUDA_ERROR_OUT_OF_MEMORY on a full GPU).
    /// </summary>
    DevicePtr Allocate(long bytes);
    /// <summary>Frees memory from <see cref="Allocate"/> (pass the address it returned); <see cref="DevicePtr.Null"/> is ignored.</summary>
    void Free(DevicePtr ptr);

    /// <summary>
    /// Host → device. On a stream the call may return before the copy is done on the device, but
    /// <paramref name="source"/> has been read when it returns (it may be reused at once).
    /// </summary>
    void CopyToDevice<T>(ReadOnlySpan<T> source, DevicePtr destination, CudaStream? stream = null) where T : unmanaged;
    /// <summary>Device → host. Returns when <paramref name="destination"/> holds the data, also on a stream.</summary>
    void CopyToHost<T>(DevicePtr source, Span<T> destination, CudaStream? stream = null) where T : unmanaged;
    /// <summary>Copies <paramref name="bytes"/> within the device; on a stream it is ordered with that stream's launches.</summary>
    void CopyDeviceToDevice(DevicePtr source, DevicePtr destination, long bytes, CudaStream? stream = null);
    /// <summary>Sets <paramref name="bytes"/> bytes at <paramref name="destination"/> to <paramref name="value"/> (cuMemsetD8).</summary>
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

    /// <summary>
    /// cuTensorMapEncodeTiled: a <see cref="TensorMap"/> for the tensor of <paramref name="globalDims"/>.Length
    /// (1 to 5) dimensions of <paramref name="type"/> at <paramref name="address"/>, innermost dimension first,
    /// <paramref name="globalStrides"/> the byte strides of dimensions 1 .. rank − 1 (the innermost is dense),
    /// and the box of <paramref name="boxDims"/> elements one tensor copy moves into shared memory, every
    /// <paramref name="elementStrides"/>-th element along each dimension, laid out with <paramref name="swizzle"/>.
    /// Interleave none; elements outside the tensor are read as zeros (CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE).
    /// The driver's rules, each a CUDA_ERROR_INVALID_VALUE: the address 16-byte aligned; every dimension 1 to
    /// 2³²; strides multiples of 16 below 2⁴⁰; box dimensions 1 to 256, the innermost a multiple of 16 bytes
    /// and, with a swizzle, at most the swizzle's span; element strides 1 to 8.
    /// </summary>
    TensorMap EncodeTiledTensorMap(TensorMapDataType type, DevicePtr address, ReadOnlySpan<ulong> globalDims, ReadOnlySpan<ulong> globalStrides,
        ReadOnlySpan<uint> boxDims, ReadOnlySpan<uint> elementStrides, TensorMapSwizzle swizzle, TensorMapL2Promotion l2Promotion = TensorMapL2Promotion.None);

    /// <summary>Creates a stream: work queued on it runs in order, and may overlap work on other streams.</summary>
    CudaStream CreateStream();
    /// <summary>Destroys a stream from <see cref="CreateStream"/>; work already queued on it still completes.</summary>
    void DestroyStream(CudaStream stream);
    /// <summary>Creates an event for timing with <see cref="Record"/> and <see cref="ElapsedMilliseconds"/>.</summary>
    CudaEvent CreateEvent();
    /// <summary>Destroys an event from <see cref="CreateEvent"/>.</summary>
    void DestroyEvent(CudaEvent ev);
    /// <summary>Records <paramref name="ev"/> on <paramref name="stream"/> (null: the default stream): it completes when the work queued before it has.</summary>
    void Record(CudaEvent ev, CudaStream? stream = null);
    /// <summary>
    /// Queues on <paramref name="stream"/> (null: the default stream) a wait for <paramref name="ev"/>: work queued
    /// there afterwards starts once the work recorded in the event is done. The host does not wait.
    /// </summary>
    void WaitEvent(CudaStream? stream, CudaEvent ev);
    /// <summary>Milliseconds between two recorded events (synchronizes on <paramref name="end"/>).</summary>
    float ElapsedMilliseconds(CudaEvent start, CudaEvent end);
    /// <summary>
    /// Waits until all work on <paramref name="stream"/> (null: all work on the device) is done. On a real GPU
    /// an error a kernel hit while running surfaces here as a <see cref="CudaException"/> (the software GPU
    /// runs each launch to completion and reports it from <see cref="Launch"/>).
    /// </summary>
    void Synchronize(CudaStream? stream = null);

    /// <summary>
    /// Starts capturing <paramref name="stream"/> (null: the default stream that launches without a stream go
    /// to): from now on launches, memsets and device-to-device copies queued on it are recorded, not run. A
    /// host → device copy on it is recorded with the bytes the source holds now. Reading device memory,
    /// a copy without a stream (synchronous) or a <see cref="Synchronize"/> while a capture is open fails with
    /// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED (the capture is then invalid: end it and discard it).
    /// </summary>
    void BeginCapture(CudaStream? stream = null);
    /// <summary>Ends the capture begun on <paramref name="stream"/> and returns the recorded work as a graph ready to launch.</summary>
    CudaGraph EndCapture(CudaStream? stream = null);
    /// <summary>Whether <paramref name="stream"/> (null: the default stream) is being captured.</summary>
    bool IsCapturing(CudaStream? stream = null);
    /// <summary>Queues the whole of <paramref name="graph"/> on <paramref name="stream"/>, in the order it was captured.</summary>
    void LaunchGraph(CudaGraph graph, CudaStream? stream = null);
    /// <summary>Frees a graph from <see cref="EndCapture"/> (work already queued from it still completes).</summary>
    void DestroyGraph(CudaGraph graph);
}
