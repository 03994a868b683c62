using CudaBert.Kernels.Device;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// A device that hands every call to the one it wraps and, while <see cref="Timing"/> is on, brackets each
/// kernel launch with two events on the launch's stream. <see cref="KernelMilliseconds"/> adds up the
/// brackets: the time the GPU spent running kernels. The rest of a step's wall time is the GPU waiting
/// for the host (launch overhead, host work between launches): what <c>bench train</c> reports as idle.
/// </summary>
sealed class KernelTimingDevice(ICudaDevice inner) : ICudaDevice
{
    readonly List<(CudaEvent Start, CudaEvent End)> _brackets = [];
    int _used;

    /// <summary>Whether launches are bracketed (off while a CUDA graph is captured: the events would be captured too).</summary>
    public bool Timing { get; set; }

    /// <summary>Waits for the device, then returns the summed time of the launches bracketed since the last call.</summary>
    public double KernelMilliseconds()
    {
        inner.Synchronize();
        double total = 0;
        for (int i = 0; i < _used; i++) total += inner.ElapsedMilliseconds(_brackets[i].Start, _brackets[i].End);
        _used = 0;
        return total;
    }

    public void Launch(CudaFunction kernel, Dim3 grid, Dim3 block, int dynamicSharedBytes, CudaStream? stream, KernelArgs args)
    {
        if (!Timing)
        {
            inner.Launch(kernel, grid, block, dynamicSharedBytes, stream, args);
            return;
        }
        if (_used == _brackets.Count) _brackets.Add((inner.CreateEvent(), inner.CreateEvent()));
        var (start, end) = _brackets[_used++];
        inner.Record(start, stream);
        inner.Launch(kernel, grid, block, dynamicSharedBytes, stream, args);
        inner.Record(end, stream);
    }

    public DeviceInfo Info => inner.Info;
    public DevicePtr Allocate(long bytes) => inner.Allocate(bytes);
    public void Free(DevicePtr ptr) => inner.Free(ptr);
    public void CopyToDevice<T>(ReadOnlySpan<T> source, DevicePtr destination, CudaStream? stream = null) where T : unmanaged => inner.CopyToDevice(source, destination, stream);
    public void CopyToHost<T>(DevicePtr source, Span<T> destination, CudaStream? stream = null) where T : unmanaged => inner.CopyToHost(source, destination, stream);
    public void CopyDeviceToDevice(DevicePtr source, DevicePtr destination, long bytes, CudaStream? stream = null) => inner.CopyDeviceToDevice(source, destination, bytes, stream);
    public void Memset(DevicePtr destination, byte value, long bytes, CudaStream? stream = null) => inner.Memset(destination, value, bytes, stream);
    public CudaModule LoadModule(string name, string ptx) => inner.LoadModule(name, ptx);
    public CudaFunction GetFunction(CudaModule module, string kernelName) => inner.GetFunction(module, kernelName);
    public void SetMaxDynamicSharedBytes(CudaFunction kernel, int bytes) => inner.SetMaxDynamicSharedBytes(kernel, bytes);
    public TensorMap EncodeTiledTensorMap(TensorMapDataType type, DevicePtr address, ReadOnlySpan<ulong> globalDims, ReadOnlySpan<ulong> globalStrides,
        ReadOnlySpan<uint> boxDims, ReadOnlySpan<uint> elementStrides, TensorMapSwizzle swizzle, TensorMapL2Promotion l2Promotion = TensorMapL2Promotion.None) =>
        inner.EncodeTiledTensorMap(type, address, globalDims, globalStrides, boxDims, elementStrides, swizzle, l2Promotion);
    public CudaStream CreateStream() => inner.CreateStream();
    public void DestroyStream(CudaStream stream) => inner.DestroyStream(stream);
    public CudaEvent CreateEvent() => inner.CreateEvent();
    public void DestroyEvent(CudaEvent ev) => inner.DestroyEvent(ev);
    public void Record(CudaEvent ev, CudaStream? stream = null) => inner.Record(ev, stream);
    public void WaitEvent(CudaStream? stream, CudaEvent ev) => inner.WaitEvent(stream, ev);
    public float ElapsedMilliseconds(CudaEvent start, CudaEvent end) => inner.ElapsedMilliseconds(start, end);
    public void Synchronize(CudaStream? stream = null) => inner.Synchronize(stream);
    public void BeginCapture(CudaStream? stream = null) => inner.BeginCapture(stream);
    public CudaGraph EndCapture(CudaStream? stream = null) => inner.EndCapture(stream);
    public bool IsCapturing(CudaStream? stream = null) => inner.IsCapturing(stream);
    public void LaunchGraph(CudaGraph graph, CudaStream? stream = null) => inner.LaunchGraph(graph, stream);
    public void DestroyGraph(CudaGraph graph) => inner.DestroyGraph(graph);

    /// <summary>Frees the events, then the wrapped device.</summary>
    public void Dispose()
    {
        foreach (var (start, end) in _brackets)
        {
            inner.DestroyEvent(start);
            inner.DestroyEvent(end);
        }
        inner.Dispose();
    }
}
