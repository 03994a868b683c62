using System.Diagnostics.CodeAnalysis;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Memory;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

/// <summary>
/// The CUDA implementation of <see cref="IBackend"/>: each primitive launches our PTX kernels
/// (Kernels/bert/*.cu through the launchers of <c>CudaBert.Kernels.Launch</c>) on one device, in
/// order on its default stream. Memory comes from a <see cref="CachingAllocator"/>, scratch
/// space (workspaces of two-pass reductions) too. float32 only; a primitive that has no kernel
/// throws <see cref="NotSupportedException"/> naming it — nothing falls back to the CPU.
/// One partial-class file per section of <see cref="IBackend"/>, named as the CPU backend's (CudaBackend.X.cs ↔ CpuBackend.X.cs).
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    /// <summary>
    /// A backend that runs on <paramref name="device"/> with an allocator of its own. It is not made
    /// current: <see cref="Use"/> does that, or <see cref="Backend.Register"/>.
    /// </summary>
    public CudaBackend(ICudaDevice device)
    {
        Gpu = device;
        Allocator = new CachingAllocator(device);
    }

    /// <summary>The device the kernels run on (the real driver or the software GPU).</summary>
    public ICudaDevice Gpu { get; }

    /// <summary>Where this backend's tensors and scratch workspaces get their device memory; its statistics show the footprint.</summary>
    public CachingAllocator Allocator { get; }

    /// <inheritdoc/>
    public Device Device => Device.Cuda;

    long deviceToHostReads;

    /// <summary>
    /// Device → host copies this backend has made (tensor reads such as <see cref="Tensor.Item"/> and
    /// <see cref="Tensor.ToArray{T}"/>, and the checks it reads back). Each one waits until the device has
    /// finished the work queued before it, so a loop that should keep the GPU busy can count them: a
    /// training step makes none (docs/cuda-backend.md, "A step without waiting").
    /// </summary>
    public long DeviceToHostReads => Interlocked.Read(ref deviceToHostReads);

    /// <summary>The backend <see cref="Device.Cuda"/> tensors use now, opening the default device on first use (see <see cref="CudaDeviceSelection"/>).</summary>
    public static CudaBackend Current => (CudaBackend)Backend.For(Device.Cuda);

    /// <summary>Opens the default device for <see cref="Device.Cuda"/>; false with the reason when there is none.</summary>
    public static bool TryCreateDefault([NotNullWhen(true)] out CudaBackend? backend, out string reason)
    {
        backend = CudaDeviceSelection.TryOpenDefault(out var device, out reason) ? new CudaBackend(device) : null;
        return backend is not null;
    }

    /// <summary>
    /// Makes <paramref name="device"/> the one <see cref="Device.Cuda"/> tensors are created on from
    /// now on (e.g. a software GPU with the sanitizer on). Tensors made before keep their memory on
    /// the previous device; mixing them with new ones is refused.
    /// </summary>
    public static CudaBackend Use(ICudaDevice device)
    {
        var backend = new CudaBackend(device);
        Backend.Register(backend);
        return backend;
    }

    // ---- memory ---------------------------------------------------------------------------------

    /// <inheritdoc/>
    public Storage Allocate(long byteLength) => new CudaStorage(Allocator, byteLength);

    /// <summary>
    /// An upload queued on the backend's stream, after the work queued before it. From pageable memory the driver
    /// copies <paramref name="source"/> to a staging buffer and returns without waiting for that work (a
    /// synchronous cuMemcpyHtoD would first wait for it: a stall at every batch). While a graph is captured
    /// (<see cref="Capture"/>) the graph records the upload with the bytes <paramref name="source"/> holds now, and
    /// each replay writes them again (right for what depends only on the shapes, such as position ids; new data
    /// for a replay is written into the graph's input tensors before launching it).
    /// </summary>
    public void CopyFromHost(ReadOnlySpan<byte> source, Tensor destination)
    {
        if (source.Length > 0) Gpu.CopyToDevice(source, Ptr(destination, nameof(CopyFromHost)), DefaultStream);
    }

    /// <inheritdoc/>
    public void CopyToHost(Tensor source, Span<byte> destination)
    {
        if (destination.Length > 0) ReadBack(Ptr(source, nameof(CopyToHost)), destination);
    }

    /// <inheritdoc/>
    public void CopyElements(Tensor source, long sourceStart, Tensor destination, long destinationStart, long count)
    {
        if (count == 0) return;
        long size = source.DType.SizeInBytes();
        Gpu.CopyDeviceToDevice(Ptr(source, nameof(CopyElements)).Offset(sourceStart * size),
            Ptr(destination, nameof(CopyElements)).Offset(destinationStart * size), count * size);
    }

    /// <inheritdoc/>
    public void Copy(Tensor source, Tensor destination)
    {
        if (source.ByteLength > 0) Gpu.CopyDeviceToDevice(Ptr(source, nameof(Copy)), Ptr(destination, nameof(Copy)), source.ByteLength);
    }

    /// <summary>Zero is a memset (any dtype); another float32 value is the fill kernel.</summary>
    public void Fill(Tensor x, double value)
    {
        if (x.NumElements == 0) return;
        var pointer = Ptr(x, nameof(Fill));
        if (value == 0 && !double.IsNegative(value)) { Gpu.Memset(pointer, 0, x.ByteLength); return; }
        RequireFloat32($"{nameof(Fill)} with {value} (integer tensors can only be zero-filled)", x);
        ElementwiseKernels.Fill(Gpu, pointer, (float)value, x.NumElements);
    }

    /// <summary>
    /// Int32 ↔ Float32, and between Float32, BFloat16 and Float16, by the conversion kernels (float → int
    /// truncates, as the CPU's cast; narrowing floats round to nearest even, a NaN becomes the canonical
    /// NaN); a same-dtype cast is a copy. Float64 lives on the CPU only.
    /// </summary>
    public void Cast(Tensor source, Tensor destination)
    {
        string primitive = $"Cast {source.DType}→{destination.DType}";
        if (source.DType == destination.DType) { Copy(source, destination); return; }
        if (source.NumElements == 0) return;
        Action<ICudaDevice, DevicePtr, DevicePtr, long, CudaStream?> kernel = (source.DType, destination.DType) switch
        {
            (DType.Int32, DType.Float32) => CastKernels.Int32ToFloat32,
            (DType.Float32, DType.Int32) => CastKernels.Float32ToInt32,
            (DType.Float32, DType.BFloat16) => CastKernels.Float32ToBFloat16,
            (DType.BFloat16, DType.Float32) => CastKernels.BFloat16ToFloat32,
            (DType.Float32, DType.Float16) => CastKernels.Float32ToFloat16,
            (DType.Float16, DType.Float32) => CastKernels.Float16ToFloat32,
            (DType.BFloat16, DType.Float16) => CastKernels.BFloat16ToFloat16,
            (DType.Float16, DType.BFloat16) => CastKernels.Float16ToBFloat16,
            _ => throw NoKernel(primitive, "kernels convert Int32 ↔ Float32 and between Float32, BFloat16 and Float16; convert on the CPU before moving the tensor"),
        };
        kernel(Gpu, Ptr(source, primitive), Ptr(destination, primitive), source.NumElements, null);
    }

    // ---- helpers shared by the partial files ------------------------------------------------------

    /// <summary>The device address of <paramref name="t"/>, checking that it lives on this backend's device.</summary>
    DevicePtr Ptr(Tensor t, string primitive = "")
    {
        if (t.Storage is not CudaStorage storage)
            throw new ArgumentException($"{primitive}: tensor {t.Shape} {t.DType} is on {t.Device}, not on the CUDA device");
        if (storage.Allocator != Allocator)
            throw new ArgumentException($"{primitive}: tensor {t.Shape} {t.DType} was created on another CUDA device than {Gpu.Info.Name} (CudaBackend.Use was called since)");
        return storage.Pointer;
    }

    DevicePtr PtrOrNull(Tensor? t, string primitive) => t is null ? DevicePtr.Null : Ptr(t, primitive);

    static void RequireFloat32(string primitive, params ReadOnlySpan<Tensor?> tensors)
    {
        foreach (var t in tensors)
            if (t is not null && t.DType != DType.Float32)
                throw NoKernel(primitive, $"the CUDA kernels are float32 only, got a {t.DType} tensor {t.Shape}");
    }

    static void RequireInt32(string primitive, Tensor ids)
    {
        if (ids.DType != DType.Int32)
            throw NoKernel(primitive, $"the CUDA kernels take Int32 indices, got {ids.DType} {ids.Shape}; convert them with To(DType.Int32) on the CPU first");
    }

    static NotSupportedException NoKernel(string primitive, string why) =>
        new($"CUDA backend: {primitive} is not supported: {why}.");

    /// <summary>A kernel's 32-bit extent, or an error naming the primitive.</summary>
    static int Rows32(long value, string primitive) =>
        value <= int.MaxValue ? (int)value : throw NoKernel(primitive, $"{value} exceeds the kernel's 32-bit indexing");

    /// <summary>
    /// The stream every launch of this backend goes to, the default one (handle 0), as an object: a host →
    /// device copy given it is queued after the launches before it instead of being a synchronous copy
    /// (which, from pageable host memory, first waits for the device to finish them). The multi-tensor
    /// optimizer kernels upload their tables this way.
    /// </summary>
    static readonly CudaStream DefaultStream = new(0);

    /// <summary>Scratch device memory for one primitive, returned to the allocator when disposed (stream-ordered: safe at once).</summary>
    Workspace Scratch(long bytes) => new(Allocator, Allocator.Rent(bytes));

    readonly struct Workspace(CachingAllocator allocator, DeviceBlock block) : IDisposable
    {
        public DevicePtr Pointer => block.Pointer;
        public void Dispose() => allocator.Return(block);
    }

    /// <summary>
    /// A read of device memory by the host (it waits for the device), preceded by the report of a bad
    /// embedding id queued since the last read (<see cref="EmbeddingGather"/>).
    /// </summary>
    void ReadBack<T>(DevicePtr source, Span<T> destination) where T : unmanaged
    {
        ThrowIfALookupFailed();
        CountedCopyToHost(source, destination);
    }

    /// <summary>The one place this backend copies device memory to the host: counted in <see cref="DeviceToHostReads"/>.</summary>
    void CountedCopyToHost<T>(DevicePtr source, Span<T> destination) where T : unmanaged
    {
        Interlocked.Increment(ref deviceToHostReads);
        Gpu.CopyToHost(source, destination);
    }
}