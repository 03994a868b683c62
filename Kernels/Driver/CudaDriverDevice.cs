using System.Runtime.InteropServices;
using System.Text;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using static CudaBert.Kernels.Driver.CudaDriverApi;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// A real GPU through the CUDA driver API. Open it with <see cref="CudaDevices.TryOpenDriver(out ICudaDevice?, out string)"/>.
/// Uses the device's primary context (the one the CUDA runtime would use too) and makes it current
/// on whichever thread calls in. Modules are JIT-compiled from PTX by the driver when first loaded
/// and cached by name, as are kernel lookups.
/// <para>
/// The default stream (what a null <see cref="CudaStream"/> means for launches, memsets and device copies)
/// is a stream this device creates, not CUDA's legacy NULL stream: the legacy stream cannot be captured
/// into a graph. It is a blocking stream, so the synchronous copies (on the legacy stream) still wait
/// for it and it for them: the order of the calls is the order of the work.
/// </para>
/// </summary>
public sealed unsafe class CudaDriverDevice : ICudaDevice
{
    const int JitLogBytes = 16 * 1024;

    readonly int _device;
    readonly nint _context;
    readonly Lock _gate = new();
    readonly Dictionary<string, CudaModule> _modules = [];
    readonly Dictionary<(nint Module, string Kernel), CudaFunction> _functions = [];
    readonly Dictionary<nint, int> _sharedMemoryOptIn = [];   // function → its MAX_DYNAMIC_SHARED_SIZE_BYTES, as last set
    readonly nint _defaultStream;
    // Captures in progress (stream → the pinned host copies of the uploads they recorded), and each
    // graph's pinned copies: a captured upload reads its source when the graph runs, so the bytes it had
    // at capture time are kept in page-locked memory until the graph is destroyed.
    readonly Dictionary<nint, List<nint>> _captures = [];
    readonly Dictionary<nint, List<nint>> _graphHostBuffers = [];
    string? _lastKernel;
    bool _disposed;

    /// <inheritdoc/>
    public DeviceInfo Info { get; }

    /// <summary>Opens device <paramref name="ordinal"/>; cuInit must have succeeded.</summary>
    internal CudaDriverDevice(int ordinal)
    {
        Check(cuDeviceGet(out _device, ordinal), "cuDeviceGet");
        byte* name = stackalloc byte[256];
        Check(cuDeviceGetName(name, 256, _device), "cuDeviceGetName");
        Check(cuDeviceTotalMem_v2(out nuint totalBytes, _device), "cuDeviceTotalMem_v2");
        Check(cuDriverGetVersion(out int driverVersion), "cuDriverGetVersion");
        Info = new DeviceInfo(
            Marshal.PtrToStringUTF8((nint)name) ?? "",
            Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            Attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
            (long)totalBytes,
            Attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
            driverVersion,
            IsSoftware: false,
            Attribute(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN));
        Check(cuDevicePrimaryCtxRetain(out _context, _device), "cuDevicePrimaryCtxRetain");
        MakeCurrent();
        Check(cuStreamCreate(out _defaultStream, 0), "cuStreamCreate");
    }

    /// <summary>The driver's stream for <paramref name="stream"/>: null and handle 0 are this device's default stream.</summary>
    nint StreamOf(CudaStream? stream) => stream is null || stream.Handle == 0 ? _defaultStream : stream.Handle;

    int Attribute(int attribute)
    {
        Check(cuDeviceGetAttribute(out int value, attribute, _device), "cuDeviceGetAttribute");
        return value;
    }

    // --- memory ---------------------------------------------------------------------------------

    /// <inheritdoc/>
    public DevicePtr Allocate(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bytes);
        MakeCurrent();
        int result;
        ulong address;
        bool capturing;
        lock (_gate) capturing = _captures.Count > 0;
        if (capturing)
        {
            // A graph's memory pool grows while its step is captured. cuMemAlloc does not touch the captured
            // stream, but GLOBAL mode may refuse it as potentially unsafe: allow it on this thread for this call.
            int mode = CU_STREAM_CAPTURE_MODE_RELAXED;
            Check(cuThreadExchangeStreamCaptureMode(ref mode), "cuThreadExchangeStreamCaptureMode");
            result = cuMemAlloc_v2(out address, (nuint)bytes);
            Check(cuThreadExchangeStreamCaptureMode(ref mode), "cuThreadExchangeStreamCaptureMode");
        }
        else result = cuMemAlloc_v2(out address, (nuint)bytes);
        if (result != 0)
            throw Error(result, "cuMemAlloc_v2", detail: $"{bytes} bytes requested on {Info.Name}");
        return new DevicePtr(address);
    }

    /// <inheritdoc/>
    public void Free(DevicePtr ptr)
    {
        if (ptr.IsNull) return;
        MakeCurrent();
        Check(cuMemFree_v2(ptr.Address), "cuMemFree_v2");
    }

    /// <inheritdoc/>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, DevicePtr destination, CudaStream? stream = null) where T : unmanaged
    {
        if (source.IsEmpty) return;
        MakeCurrent();
        nuint bytes = (nuint)source.Length * (nuint)sizeof(T);
        fixed (T* s = source)
        {
            if (stream is null) Check(cuMemcpyHtoD_v2(destination.Address, s, bytes), "cuMemcpyHtoD_v2");
            else if (CapturedUploads(StreamOf(stream)) is { } pinned)
            {
                Check(cuMemHostAlloc(out nint staged, bytes, 0), "cuMemHostAlloc");
                pinned.Add(staged);
                Buffer.MemoryCopy(s, (void*)staged, bytes, bytes);
                Check(cuMemcpyHtoDAsync_v2(destination.Address, (void*)staged, bytes, StreamOf(stream)), "cuMemcpyHtoDAsync_v2");
            }
            else Check(cuMemcpyHtoDAsync_v2(destination.Address, s, bytes, StreamOf(stream)), "cuMemcpyHtoDAsync_v2");
        }
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(DevicePtr source, Span<T> destination, CudaStream? stream = null) where T : unmanaged
    {
        if (destination.IsEmpty) return;
        MakeCurrent();
        nuint bytes = (nuint)destination.Length * (nuint)sizeof(T);
        fixed (T* d = destination)
        {
            if (stream is null)
                Check(cuMemcpyDtoH_v2(d, source.Address, bytes), "cuMemcpyDtoH_v2");
            else
            {
                // The span is managed memory we must not leave before the copy is done: wait for it.
                Check(cuMemcpyDtoHAsync_v2(d, source.Address, bytes, StreamOf(stream)), "cuMemcpyDtoHAsync_v2");
                Check(cuStreamSynchronize(StreamOf(stream)), "cuStreamSynchronize");
            }
        }
    }

    /// <inheritdoc/>
    public void CopyDeviceToDevice(DevicePtr source, DevicePtr destination, long bytes, CudaStream? stream = null)
    {
        if (bytes == 0) return;
        MakeCurrent();
        Check(cuMemcpyDtoDAsync_v2(destination.Address, source.Address, (nuint)bytes, StreamOf(stream)), "cuMemcpyDtoDAsync_v2");
    }

    /// <inheritdoc/>
    public void Memset(DevicePtr destination, byte value, long bytes, CudaStream? stream = null)
    {
        if (bytes == 0) return;
        MakeCurrent();
        Check(cuMemsetD8Async(destination.Address, value, (nuint)bytes, StreamOf(stream)), "cuMemsetD8Async");
    }

    // --- modules and kernels --------------------------------------------------------------------

    /// <inheritdoc/>
    public CudaModule LoadModule(string name, string ptx)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_modules.TryGetValue(name, out var cached))
                return cached;

            // Fail with a clear message before the driver fails with a terse one.
            var isa = PtxIsaVersion.Parse(ptx, name);
            isa.EnsureDriverCanLoad(Info.DriverVersion, name);

            MakeCurrent();
            byte[] image = Encoding.UTF8.GetBytes(ptx + "\0");   // the driver reads PTX up to a NUL
            byte[] log = new byte[JitLogBytes];
            int result;
            nint module;
            fixed (byte* imagePtr = image, logPtr = log)
            {
                int* options = stackalloc int[] { CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
                nint* values = stackalloc nint[] { (nint)logPtr, JitLogBytes };
                result = cuModuleLoadDataEx(out module, imagePtr, 2, options, values);
            }
            if (result != 0)
            {
                string jitLog = Encoding.UTF8.GetString(log, 0, Math.Max(0, Array.IndexOf(log, (byte)0))).Trim();
                string detail = result == PtxIsaVersion.UnsupportedPtxVersionError
                    ? $"PTX module '{name}' is PTX ISA {isa}; the driver (CUDA {PtxIsaVersion.FormatCudaVersion(Info.DriverVersion)}) cannot compile it. Update the NVIDIA driver."
                    : $"PTX module '{name}': {(jitLog.Length > 0 ? jitLog : ErrorText(result))}";
                throw Error(result, "cuModuleLoadDataEx", detail: detail);
            }
            return _modules[name] = new CudaModule(name, module);
        }
    }

    /// <inheritdoc/>
    public CudaFunction GetFunction(CudaModule module, string kernelName)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_functions.TryGetValue((module.Handle, kernelName), out var cached))
                return cached;
            MakeCurrent();
            byte[] name = Encoding.UTF8.GetBytes(kernelName + "\0");
            int result;
            nint function;
            fixed (byte* n = name)
                result = cuModuleGetFunction(out function, module.Handle, n);
            if (result != 0)
                throw Error(result, "cuModuleGetFunction", kernelName, $"no kernel '{kernelName}' in PTX module '{module.Name}' (is it extern \"C\"?)");
            return _functions[(module.Handle, kernelName)] = new CudaFunction(module, kernelName, function);
        }
    }

    /// <inheritdoc/>
    public void Launch(CudaFunction kernel, Dim3 grid, Dim3 block, int dynamicSharedBytes, CudaStream? stream, KernelArgs args)
    {
        MakeCurrent();
        // cuLaunchKernel takes, per parameter, a pointer to its value; 4-byte values are read from
        // the low half of their 8-byte slot (little-endian).
        // A tensor map is passed by value too: a pointer to its 128 bytes, copied to a 64-byte-aligned slot.
        var items = args.Items;
        ulong* values = stackalloc ulong[Math.Max(1, items.Count)];
        void** pointers = stackalloc void*[Math.Max(1, items.Count)];
        int maps = 0;
        foreach (var item in items) if (item.Type == KernelArgs.Kind.TensorMap) maps++;
        byte* mapStorage = stackalloc byte[maps * TensorMap.Size + 64];
        byte* nextMap = (byte*)(((nuint)mapStorage + 63) & ~(nuint)63);
        for (int i = 0; i < items.Count; i++)
        {
            if (items[i].Type == KernelArgs.Kind.TensorMap)
            {
                items[i].Map!.Bytes.CopyTo(new Span<byte>(nextMap, TensorMap.Size));
                pointers[i] = nextMap;
                nextMap += TensorMap.Size;
                continue;
            }
            values[i] = items[i].Bits;
            pointers[i] = &values[i];
        }
        int result = cuLaunchKernel(kernel.Handle, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z,
                                    (uint)dynamicSharedBytes, StreamOf(stream), pointers, null);
        if (result != 0)
            throw Error(result, "cuLaunchKernel", kernel.Name,
                $"{ErrorText(result)} (module '{kernel.Module.Name}', grid {Format(grid)}, block {Format(block)}, {dynamicSharedBytes} bytes dynamic shared memory)");
        _lastKernel = kernel.Name;
    }

    /// <inheritdoc/>
    public void SetMaxDynamicSharedBytes(CudaFunction kernel, int bytes)
    {
        lock (_gate)
        {
            if (_sharedMemoryOptIn.TryGetValue(kernel.Handle, out int granted) && granted == bytes)
                return;
            MakeCurrent();
            Check(cuFuncSetAttribute(kernel.Handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES, bytes), "cuFuncSetAttribute", kernel.Name);
            _sharedMemoryOptIn[kernel.Handle] = bytes;
        }
    }

    /// <inheritdoc/>
    public TensorMap EncodeTiledTensorMap(TensorMapDataType type, DevicePtr address, ReadOnlySpan<ulong> globalDims, ReadOnlySpan<ulong> globalStrides,
        ReadOnlySpan<uint> boxDims, ReadOnlySpan<uint> elementStrides, TensorMapSwizzle swizzle, TensorMapL2Promotion l2Promotion = TensorMapL2Promotion.None)
    {
        int rank = globalDims.Length;
        if (rank is < 1 or > 5 || globalStrides.Length != rank - 1 || boxDims.Length != rank || elementStrides.Length != rank)
            throw new ArgumentException($"cuTensorMapEncodeTiled: rank {rank} needs 1 to 5 dimensions, rank − 1 strides ({globalStrides.Length} given), " +
                $"rank box dimensions ({boxDims.Length}) and rank element strides ({elementStrides.Length})");
        byte* map = stackalloc byte[TensorMap.Size + 64];
        byte* aligned = (byte*)(((nuint)map + 63) & ~(nuint)63);   // CUtensorMap is 64-byte aligned
        int result;
        fixed (ulong* dims = globalDims, strides = globalStrides)
        fixed (uint* box = boxDims, steps = elementStrides)
            result = cuTensorMapEncodeTiled(aligned, (int)type, (uint)rank, (void*)address.Address, dims, strides, box, steps,
                CU_TENSOR_MAP_INTERLEAVE_NONE, (int)swizzle, (int)l2Promotion, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
        if (result != 0)
            throw Error(result, "cuTensorMapEncodeTiled", null,
                $"{ErrorText(result)} ({type} at {address}, dimensions [{string.Join(", ", globalDims.ToArray())}], byte strides " +
                $"[{string.Join(", ", globalStrides.ToArray())}], box [{string.Join(", ", boxDims.ToArray())}], element strides " +
                $"[{string.Join(", ", elementStrides.ToArray())}], swizzle {swizzle})");
        return new TensorMap(new ReadOnlySpan<byte>(aligned, TensorMap.Size));
    }

    static string Format(Dim3 d) => $"({d.X}, {d.Y}, {d.Z})";

    // --- streams, events, synchronization --------------------------------------------------------

    /// <inheritdoc/>
    public CudaStream CreateStream()
    {
        MakeCurrent();
        Check(cuStreamCreate(out nint stream, 0), "cuStreamCreate");
        return new CudaStream(stream);
    }

    /// <inheritdoc/>
    public void DestroyStream(CudaStream stream)
    {
        MakeCurrent();
        Check(cuStreamDestroy_v2(stream.Handle), "cuStreamDestroy_v2");
    }

    /// <inheritdoc/>
    public CudaEvent CreateEvent()
    {
        MakeCurrent();
        Check(cuEventCreate(out nint ev, 0), "cuEventCreate");
        return new CudaEvent(ev);
    }

    /// <inheritdoc/>
    public void DestroyEvent(CudaEvent ev)
    {
        MakeCurrent();
        Check(cuEventDestroy_v2(ev.Handle), "cuEventDestroy_v2");
    }

    /// <inheritdoc/>
    public void Record(CudaEvent ev, CudaStream? stream = null)
    {
        MakeCurrent();
        Check(cuEventRecord(ev.Handle, StreamOf(stream)), "cuEventRecord");
    }

    /// <inheritdoc/>
    public void WaitEvent(CudaStream? stream, CudaEvent ev)
    {
        MakeCurrent();
        Check(cuStreamWaitEvent(StreamOf(stream), ev.Handle, 0), "cuStreamWaitEvent");
    }

    /// <inheritdoc/>
    public float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        MakeCurrent();
        CheckAfterKernels(cuEventSynchronize(end.Handle), "cuEventSynchronize");
        Check(cuEventElapsedTime(out float ms, start.Handle, end.Handle), "cuEventElapsedTime");
        return ms;
    }

    /// <inheritdoc/>
    public void Synchronize(CudaStream? stream = null)
    {
        MakeCurrent();
        if (stream is null) CheckAfterKernels(cuCtxSynchronize(), "cuCtxSynchronize");
        else CheckAfterKernels(cuStreamSynchronize(StreamOf(stream)), "cuStreamSynchronize");
    }

    // --- graphs ---------------------------------------------------------------------------------

    List<nint>? CapturedUploads(nint stream)
    {
        lock (_gate) return _captures.GetValueOrDefault(stream);
    }

    /// <inheritdoc/>
    public void BeginCapture(CudaStream? stream = null)
    {
        MakeCurrent();
        nint handle = StreamOf(stream);
        Check(cuStreamBeginCapture_v2(handle, CU_STREAM_CAPTURE_MODE_GLOBAL), "cuStreamBeginCapture_v2");
        lock (_gate) _captures[handle] = [];
    }

    /// <inheritdoc/>
    public CudaGraph EndCapture(CudaStream? stream = null)
    {
        MakeCurrent();
        nint handle = StreamOf(stream);
        List<nint> pinned;
        lock (_gate)
            if (!_captures.Remove(handle, out pinned!)) pinned = [];
        int result = cuStreamEndCapture(handle, out nint graph);
        if (result == 0)
        {
            result = cuGraphInstantiateWithFlags(out nint exec, graph, 0);
            cuGraphDestroy(graph);   // the executable graph does not need it
            if (result == 0)
            {
                lock (_gate) _graphHostBuffers[exec] = pinned;
                return new CudaGraph(exec, -1);
            }
            foreach (nint buffer in pinned) cuMemFreeHost(buffer);
            throw Error(result, "cuGraphInstantiateWithFlags");
        }
        foreach (nint buffer in pinned) cuMemFreeHost(buffer);
        throw Error(result, "cuStreamEndCapture", detail: $"{ErrorText(result)} (a call made while capturing was not allowed, and invalidated the capture)");
    }

    /// <inheritdoc/>
    public bool IsCapturing(CudaStream? stream = null)
    {
        MakeCurrent();
        Check(cuStreamIsCapturing(StreamOf(stream), out int status), "cuStreamIsCapturing");
        return status == CU_STREAM_CAPTURE_STATUS_ACTIVE;
    }

    /// <inheritdoc/>
    public void LaunchGraph(CudaGraph graph, CudaStream? stream = null)
    {
        MakeCurrent();
        Check(cuGraphLaunch(graph.Handle, StreamOf(stream)), "cuGraphLaunch");
    }

    /// <inheritdoc/>
    public void DestroyGraph(CudaGraph graph)
    {
        MakeCurrent();
        Check(cuGraphExecDestroy(graph.Handle), "cuGraphExecDestroy");
        List<nint>? pinned;
        lock (_gate) _graphHostBuffers.Remove(graph.Handle, out pinned);
        if (pinned is null) return;
        // The page-locked copies may still be read by a launch in flight.
        CheckAfterKernels(cuCtxSynchronize(), "cuCtxSynchronize");
        foreach (nint buffer in pinned) Check(cuMemFreeHost(buffer), "cuMemFreeHost");
    }

    // --- context and errors ---------------------------------------------------------------------

    /// <summary>
    /// A context is current per thread, and callers (test runners, thread pools) hop threads: every
    /// call makes ours current first. cuCtxSetCurrent is cheap (no synchronization).
    /// </summary>
    internal void MakeCurrent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Check(cuCtxSetCurrent(_context), "cuCtxSetCurrent");
    }

    static void Check(int result, string call, string? kernel = null)
    {
        if (result != 0) throw Error(result, call, kernel);
    }

    /// <summary>
    /// A failed synchronization usually reports an error of a kernel that ran asynchronously
    /// (e.g. CUDA_ERROR_ILLEGAL_ADDRESS): name the last kernel launched as the likely culprit.
    /// </summary>
    void CheckAfterKernels(int result, string call)
    {
        if (result == 0) return;
        string? last = _lastKernel;
        throw Error(result, call, detail: ErrorText(result) + (last is null ? "" : $" (last kernel launched: '{last}')"));
    }

    internal static CudaException Error(int result, string call, string? kernel = null, string? detail = null) =>
        new(call, result, ErrorName(result), kernel, detail ?? ErrorText(result));

    /// <summary>The enum name of a CUresult, e.g. "CUDA_ERROR_OUT_OF_MEMORY".</summary>
    internal static string ErrorName(int result) =>
        cuGetErrorName(result, out byte* name) == 0 && name != null ? Marshal.PtrToStringUTF8((nint)name)! : $"CUresult {result}";

    /// <summary>The driver's sentence for a CUresult, e.g. "out of memory".</summary>
    internal static string ErrorText(int result) =>
        cuGetErrorString(result, out byte* text) == 0 && text != null ? Marshal.PtrToStringUTF8((nint)text)! : $"CUresult {result}";

    /// <summary>Unloads the modules and releases the primary context. Never throws.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            if (cuCtxSetCurrent(_context) == 0)
            {
                foreach (var module in _modules.Values)
                    cuModuleUnload(module.Handle);   // best effort: a failing context cannot unload
            }
            if (cuCtxSetCurrent(_context) == 0) cuStreamDestroy_v2(_defaultStream);
            _modules.Clear();
            _functions.Clear();
            cuDevicePrimaryCtxRelease_v2(_device);
            _disposed = true;
        }
    }
}
