using System.Diagnostics;
using System.Runtime.InteropServices;
using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>Counters of the interpreter, cumulative over the device's life.</summary>
/// <param name="Launches">Kernel launches run.</param>
/// <param name="InstructionsExecuted">PTX instructions executed, counted once per thread that executed them.</param>
/// <param name="InterpretSeconds">Wall-clock seconds spent inside launches.</param>
public sealed record SoftwareGpuStatistics(long Launches, long InstructionsExecuted, double InterpretSeconds)
{
    /// <summary>Interpreted PTX instructions (per thread) per second of launch time.</summary>
    public double InstructionsPerSecond => InterpretSeconds > 0 ? InstructionsExecuted / InterpretSeconds : 0;
}

/// <summary>
/// A CUDA device implemented in software: global memory is a set of managed allocations, modules
/// are parsed and decoded PTX, launches run on the <see cref="BlockExecutor"/> block after block,
/// streams execute synchronously in order (a stream being captured records its work instead:
/// SoftwareGpuDevice.Graphs.cs), and events read a wall clock. The sanitizer's findings
/// are in <see cref="Reports"/>; fatal ones (bad addresses, deadlocks) also fail the launch with a
/// <see cref="CudaException"/> like the hardware's. Not thread-safe: use a device from one thread at a
/// time (each test opens its own).
/// </summary>
public sealed partial class SoftwareGpuDevice : ICudaDevice
{
    readonly DeviceMemory _memory = new();
    readonly List<(CudaModule Handle, PtxModule Module)> _modules = [];
    readonly List<(CudaFunction Handle, PtxKernel Kernel)> _functions = [];
    readonly Dictionary<CudaFunction, int> _maxDynamicShared = [];   // set by SetMaxDynamicSharedBytes

    /// <summary>Shared memory one block may have without opting in (cuFuncSetAttribute), static and dynamic together.</summary>
    public const int DefaultSharedBytesPerBlock = 48 * 1024;
    /// <summary>The most shared memory one block may have after opting in: Hopper's 227 KB (the A100 has 163 KB).</summary>
    public const int MaxSharedBytesPerBlock = 227 * 1024;
    readonly List<long> _events = [];
    readonly List<SanitizerReport> _reports = [];
    int _streams;
    long _raceEpoch, _launches, _instructions;
    double _seconds;
    SanitizerOptions _options = new();

    readonly int _parallelBlocks;

    /// <param name="sanitizer">What the sanitizer checks (default: bounds, races, barriers).</param>
    /// <param name="parallelBlocks">How many blocks may run at once on different cores (kernels with atomics always run one block at a time).</param>
    /// <param name="computeCapabilityMajor">The compute capability the device reports, 8 (8.0, Ampere) or 9 (9.0, Hopper): with 9 the
    /// backends choose their Hopper kernels (PTX for sm_90a), which only a 9.x device loads.</param>
    /// <param name="multiprocessors">The SM count the device reports, which launchers size their grids by (e.g. a persistent kernel's one block per SM).</param>
    public SoftwareGpuDevice(SanitizerOptions? sanitizer = null, int parallelBlocks = 1, int computeCapabilityMajor = 8, int multiprocessors = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(multiprocessors, 1);
        if (computeCapabilityMajor is not (8 or 9))
            throw new ArgumentOutOfRangeException(nameof(computeCapabilityMajor), computeCapabilityMajor, "The software GPU is a compute capability 8.0 or 9.0 device.");
        Info = new("Software GPU (PTX interpreter)", computeCapabilityMajor, 0, 16L << 30, multiprocessors, 0, IsSoftware: true, MaxSharedBytesPerBlock);
        Sanitizer = sanitizer ?? new SanitizerOptions();
        _parallelBlocks = Math.Max(1, parallelBlocks);
    }

    /// <inheritdoc/>
    public DeviceInfo Info { get; }

    /// <summary>What the sanitizer checks; takes effect at the next launch (uninitialized-read tracking: for allocations made afterwards).</summary>
    public SanitizerOptions Sanitizer
    {
        get => _options;
        set { _options = value; _memory.TrackInitialized = value.CheckUninitializedReads; }
    }

    /// <summary>Every sanitizer finding since the device was created or <see cref="ClearReports"/> was called.</summary>
    public IReadOnlyList<SanitizerReport> Reports => _reports;
    /// <summary>Forgets the findings in <see cref="Reports"/>, e.g. between the cases of one test.</summary>
    public void ClearReports() => _reports.Clear();

    /// <summary>A snapshot of the launch, instruction and time counters since the device was created.</summary>
    public SoftwareGpuStatistics Statistics => new(_launches, _instructions, _seconds);

    /// <summary>Bytes of global memory currently allocated (module variables included): what a leak test watches.</summary>
    public long BytesInUse => _memory.BytesInUse;

    // ---------------------------------------------------------------- memory

    /// <inheritdoc/>
    public DevicePtr Allocate(long bytes)
    {
        if (bytes <= 0 || bytes > Array.MaxLength)
            throw new CudaException("cuMemAlloc", 1, "CUDA_ERROR_INVALID_VALUE", detail: $"cannot allocate {bytes} bytes (the software GPU allows 1 to {Array.MaxLength} per allocation)");
        return new DevicePtr(_memory.Allocate(bytes).Address);
    }

    /// <inheritdoc/>
    public void Free(DevicePtr ptr)
    {
        if (ptr.IsNull) return;
        RefuseWhileCapturing("cuMemFree", "freeing memory synchronizes the device");
        if (!_memory.Free(ptr.Address))
            throw new CudaException("cuMemFree", 1, "CUDA_ERROR_INVALID_VALUE", detail: $"{ptr} is not the start of a live allocation");
    }

    /// <inheritdoc/>
    public void CopyToDevice<T>(ReadOnlySpan<T> source, DevicePtr destination, CudaStream? stream = null) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(source);
        if (bytes.Length == 0) return;
        if (stream is null) RefuseWhileCapturing("cuMemcpyHtoD", "a copy without a stream is synchronous");
        var target = _memory.Span(destination.Address, bytes.Length, "cuMemcpyHtoD");   // the destination is checked when the call is made
        if (IsCapturing(stream))
        {
            byte[] snapshot = bytes.ToArray();   // the bytes the source holds now: every replay copies them
            RunOrRecord(stream, () =>
            {
                snapshot.CopyTo(_memory.Span(destination.Address, snapshot.Length, "cuMemcpyHtoD"));
                MarkWritten(destination.Address, snapshot.Length);
            });
            return;
        }
        bytes.CopyTo(target);
        MarkWritten(destination.Address, bytes.Length);
    }

    /// <inheritdoc/>
    public void CopyToHost<T>(DevicePtr source, Span<T> destination, CudaStream? stream = null) where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(destination);
        if (bytes.Length == 0) return;
        RefuseWhileCapturing("cuMemcpyDtoH", "the host would read memory that captured work has not written");
        _memory.Span(source.Address, bytes.Length, "cuMemcpyDtoH").CopyTo(bytes);
    }

    /// <inheritdoc/>
    public void CopyDeviceToDevice(DevicePtr source, DevicePtr destination, long bytes, CudaStream? stream = null)
    {
        if (bytes == 0) return;
        _memory.Span(source.Address, bytes, "cuMemcpyDtoD");
        _memory.Span(destination.Address, bytes, "cuMemcpyDtoD");
        RunOrRecord(stream, () =>
        {
            _memory.Span(source.Address, bytes, "cuMemcpyDtoD").CopyTo(_memory.Span(destination.Address, bytes, "cuMemcpyDtoD"));
            MarkWritten(destination.Address, bytes);
        });
    }

    /// <inheritdoc/>
    public void Memset(DevicePtr destination, byte value, long bytes, CudaStream? stream = null)
    {
        if (bytes == 0) return;
        _memory.Span(destination.Address, bytes, "cuMemsetD8");
        RunOrRecord(stream, () =>
        {
            _memory.Span(destination.Address, bytes, "cuMemsetD8").Fill(value);
            MarkWritten(destination.Address, bytes);
        });
    }

    void MarkWritten(ulong address, long bytes)
    {
        var a = _memory.Find(address, bytes)!;
        a.MarkInitialized((long)(address - a.Address), bytes);
    }

    // ---------------------------------------------------------------- modules

    /// <inheritdoc/>
    public CudaModule LoadModule(string name, string ptx)
    {
        foreach (var (handle, _) in _modules)
            if (handle.Name == name) return handle;
        PtxModule module;
        try
        {
            module = PtxParser.Parse(name, ptx, PlaceModuleVariable);
        }
        catch (PtxParseException e)
        {
            throw new CudaException("cuModuleLoadData", 218, "CUDA_ERROR_INVALID_PTX", detail: $"module '{name}': {e.Message}");
        }
        // As on the hardware: PTX for sm_XY loads on compute capability X.Y or newer, and an
        // architecture-specific target ("a", as sm_90a) on exactly that architecture.
        string target = module.Target.Split(',')[0];
        int device = 10 * Info.ComputeCapabilityMajor + Info.ComputeCapabilityMinor;
        if (target.StartsWith("sm_", StringComparison.Ordinal) && int.TryParse(target[3..].TrimEnd('a'), out int arch)
            && (arch > device || target.EndsWith('a') && arch != device))
            throw new CudaException("cuModuleLoadData", 209, "CUDA_ERROR_NO_BINARY_FOR_GPU",
                detail: $"module '{name}' targets {target}; this device is compute capability {Info.ComputeCapabilityMajor}.{Info.ComputeCapabilityMinor}");
        var cudaModule = new CudaModule(name, _modules.Count + 1);
        _modules.Add((cudaModule, module));
        return cudaModule;
    }

    ulong PlaceModuleVariable(ModuleVariable variable)
    {
        var a = _memory.Allocate(Math.Max(1, variable.Size));
        variable.Initializer.CopyTo(a.Data, 0);
        a.MarkInitialized(0, a.Size);
        return a.Address;
    }

    /// <inheritdoc/>
    public CudaFunction GetFunction(CudaModule module, string kernelName)
    {
        foreach (var (handle, _) in _functions)
            if (handle.Module == module && handle.Name == kernelName) return handle;
        int index = (int)module.Handle - 1;
        if (index < 0 || index >= _modules.Count || _modules[index].Handle != module)
            throw new CudaException("cuModuleGetFunction", 400, "CUDA_ERROR_INVALID_HANDLE", kernelName, $"module '{module.Name}' was not loaded by this device");
        var kernel = _modules[index].Module.Find(kernelName)
            ?? throw new CudaException("cuModuleGetFunction", 500, "CUDA_ERROR_NOT_FOUND", kernelName,
                $"module '{module.Name}' has kernels {string.Join(", ", _modules[index].Module.Kernels.Select(k => k.Name))}");
        var function = new CudaFunction(module, kernelName, _functions.Count + 1);
        _functions.Add((function, kernel));
        return function;
    }

    /// <summary>The decoded kernel behind a function handle (for tools and tests).</summary>
    public PtxKernel KernelOf(CudaFunction function)
    {
        int index = (int)function.Handle - 1;
        if (index < 0 || index >= _functions.Count || _functions[index].Handle != function)
            throw new CudaException("cuLaunchKernel", 400, "CUDA_ERROR_INVALID_HANDLE", function.Name, "function was not obtained from this device");
        return _functions[index].Kernel;
    }

    // ---------------------------------------------------------------- launches

    /// <inheritdoc/>
    /// <remarks>The map's 128 bytes are the software GPU's own encoding (SoftwareTensorMap.cs), checked by the driver's rules.</remarks>
    public TensorMap EncodeTiledTensorMap(TensorMapDataType type, DevicePtr address, ReadOnlySpan<ulong> globalDims, ReadOnlySpan<ulong> globalStrides,
        ReadOnlySpan<uint> boxDims, ReadOnlySpan<uint> elementStrides, TensorMapSwizzle swizzle, TensorMapL2Promotion l2Promotion = TensorMapL2Promotion.None) =>
        SoftwareTensorMap.Encode(type, address, globalDims, globalStrides, boxDims, elementStrides, swizzle, l2Promotion);

    /// <inheritdoc/>
    public void SetMaxDynamicSharedBytes(CudaFunction kernel, int bytes)
    {
        var ptx = KernelOf(kernel);
        if (bytes < 0 || ptx.DynamicSharedOffset + bytes > MaxSharedBytesPerBlock)
            throw new CudaException("cuFuncSetAttribute", 1, "CUDA_ERROR_INVALID_VALUE", kernel.Name,
                $"MAX_DYNAMIC_SHARED_SIZE_BYTES = {bytes}: with {ptx.StaticSharedBytes} static bytes a block would exceed {MaxSharedBytesPerBlock} bytes of shared memory");
        _maxDynamicShared[kernel] = bytes;
    }

    /// <inheritdoc/>
    public void Launch(CudaFunction kernel, Dim3 grid, Dim3 block, int dynamicSharedBytes, CudaStream? stream, KernelArgs args)
    {
        var ptx = KernelOf(kernel);
        if (block.Count == 0 || block.Count > 1024 || block.Z > 64 || grid.Count == 0 || grid.Y > 65535 || grid.Z > 65535)
            throw new CudaException("cuLaunchKernel", 1, "CUDA_ERROR_INVALID_VALUE", kernel.Name, $"invalid launch: grid ({grid.X},{grid.Y},{grid.Z}), block ({block.X},{block.Y},{block.Z})");
        int limit = _maxDynamicShared.TryGetValue(kernel, out int optedIn) ? optedIn : DefaultSharedBytesPerBlock - ptx.StaticSharedBytes;
        if (dynamicSharedBytes < 0 || dynamicSharedBytes > limit)
            throw new CudaException("cuLaunchKernel", 1, "CUDA_ERROR_INVALID_VALUE", kernel.Name,
                $"{dynamicSharedBytes} bytes of dynamic shared memory exceed the kernel's limit of {limit} bytes " +
                (_maxDynamicShared.ContainsKey(kernel) ? "set by cuFuncSetAttribute" : $"({DefaultSharedBytesPerBlock} minus {ptx.StaticSharedBytes} static; above that a kernel must opt in with cuFuncSetAttribute(MAX_DYNAMIC_SHARED_SIZE_BYTES), ICudaDevice.SetMaxDynamicSharedBytes)"));

        byte[] parameters = PackParameters(kernel.Name, ptx, args);   // packed now: a replay runs with these values
        RunOrRecord(stream, () => Run(kernel, ptx, grid, block, dynamicSharedBytes, parameters));
    }

    void Run(CudaFunction kernel, PtxKernel ptx, Dim3 grid, Dim3 block, int dynamicSharedBytes, byte[] parameters)
    {
        var context = new LaunchContext(ptx, grid, block, dynamicSharedBytes, parameters, _memory, _options,
            () => Interlocked.Increment(ref _raceEpoch));
        var clock = Stopwatch.StartNew();
        try
        {
            GridRunner.Run(context, _parallelBlocks);
        }
        catch (KernelFaultException fault)
        {
            _reports.AddRange(context.Reports);
            _reports.Add(fault.Report);
            var (code, name) = fault.Report.Check switch
            {
                SanitizerCheck.MisalignedAccess => (716, "CUDA_ERROR_MISALIGNED_ADDRESS"),
                SanitizerCheck.Deadlock => (702, "CUDA_ERROR_LAUNCH_TIMEOUT"),
                SanitizerCheck.InvalidCollective => (715, "CUDA_ERROR_ILLEGAL_INSTRUCTION"),
                _ => (700, "CUDA_ERROR_ILLEGAL_ADDRESS"),
            };
            throw new CudaException("cuLaunchKernel", code, name, kernel.Name, fault.Report.ToString());
        }
        finally
        {
            _launches++;
            _instructions += context.Instructions;
            _seconds += clock.Elapsed.TotalSeconds;
        }
        _reports.AddRange(context.Reports);
        if (_options.ThrowOnReport && context.Reports.Count > 0)
            throw new CudaException("cuLaunchKernel", 719, "CUDA_ERROR_LAUNCH_FAILED", kernel.Name,
                $"sanitizer: {string.Join("; ", context.Reports)}");
    }

    /// <summary>Copies each argument into the kernel's .param space at its parameter's offset, checking count and sizes.</summary>
    static byte[] PackParameters(string kernelName, PtxKernel ptx, KernelArgs args)
    {
        var items = args.Items;
        if (items.Count != ptx.Parameters.Count)
            throw new CudaException("cuLaunchKernel", 1, "CUDA_ERROR_INVALID_VALUE", kernelName,
                $"the kernel takes {ptx.Parameters.Count} parameters ({string.Join(", ", ptx.Parameters.Select(p => $"{p.Name}: {p.Size} bytes"))}), {items.Count} were given");
        var bytes = new byte[Math.Max(1, ptx.ParameterBytes)];
        for (int i = 0; i < items.Count; i++)
        {
            var p = ptx.Parameters[i];
            if (items[i].Size != p.Size)
                throw new CudaException("cuLaunchKernel", 1, "CUDA_ERROR_INVALID_VALUE", kernelName,
                    $"argument {i} is {items[i].Type} ({items[i].Size} bytes) but parameter '{p.Name}' is {p.Size} bytes");
            if (items[i].Map is { } map) map.Bytes.CopyTo(bytes.AsSpan(p.Offset, TensorMap.Size));
            else if (p.Size == 4) BitConverter.TryWriteBytes(bytes.AsSpan(p.Offset, 4), (uint)items[i].Bits);
            else BitConverter.TryWriteBytes(bytes.AsSpan(p.Offset, 8), items[i].Bits);
        }
        return bytes;
    }

    // ---------------------------------------------------------------- streams and events (synchronous)

    /// <inheritdoc/>
    public CudaStream CreateStream() => new(++_streams);

    /// <inheritdoc/>
    public void DestroyStream(CudaStream stream) { }

    /// <inheritdoc/>
    public CudaEvent CreateEvent()
    {
        _events.Add(0);
        return new CudaEvent(_events.Count);
    }

    /// <inheritdoc/>
    public void Record(CudaEvent ev, CudaStream? stream = null) => _events[EventIndex(ev, "cuEventRecord")] = Stopwatch.GetTimestamp();

    /// <summary>Nothing to wait for: every launch and copy here has run to its end when its call returns (the event must exist).</summary>
    public void WaitEvent(CudaStream? stream, CudaEvent ev) => EventIndex(ev, "cuStreamWaitEvent");

    /// <inheritdoc/>
    public float ElapsedMilliseconds(CudaEvent start, CudaEvent end)
    {
        long a = _events[EventIndex(start, "cuEventElapsedTime")], b = _events[EventIndex(end, "cuEventElapsedTime")];
        if (a == 0 || b == 0) throw new CudaException("cuEventElapsedTime", 600, "CUDA_ERROR_NOT_READY", detail: "both events must have been recorded");
        return (float)Stopwatch.GetElapsedTime(a, b).TotalMilliseconds;
    }

    /// <inheritdoc/>
    public void DestroyEvent(CudaEvent ev) => _events[EventIndex(ev, "cuEventDestroy")] = 0;

    int EventIndex(CudaEvent ev, string call)
    {
        int i = (int)ev.Handle - 1;
        if (i < 0 || i >= _events.Count) throw new CudaException(call, 400, "CUDA_ERROR_INVALID_HANDLE", detail: $"event {ev.Handle} was not created by this device");
        return i;
    }

    /// <inheritdoc/>
    public void Synchronize(CudaStream? stream = null) =>
        RefuseWhileCapturing(stream is null ? "cuCtxSynchronize" : "cuStreamSynchronize", "waiting for captured work that never runs");

    /// <summary>Does nothing: the device's memory is managed and goes with the object.</summary>
    public void Dispose() { }
}
