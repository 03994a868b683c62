using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

// Stream capture and graphs, as the driver's cuStreamBeginCapture / cuStreamEndCapture / cuGraphLaunch
// in the GLOBAL capture mode. While a stream captures, each operation queued on it is checked at once
// (arguments, addresses) and then recorded as a closure that holds everything it needs: a launch its
// packed parameter bytes, a host → device copy a snapshot of its source. A graph is the list of those
// closures; launching it runs them in the order they were captured, with the values they had then.
// Calls that would wait for or read the results of captured work (a host read, a copy without a stream,
// a synchronization, a free) fail with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, as on the hardware.
public sealed partial class SoftwareGpuDevice
{
    const int CaptureUnsupported = 900;

    readonly Dictionary<nint, List<Action>> _captures = [];     // stream handle (0: the default stream) → work recorded so far
    readonly List<List<Action>?> _graphs = [];                   // graph handle − 1 → its work (null once destroyed)
    long _graphLaunches;

    /// <summary>Graphs launched since the device was created (each counts once, whatever it holds).</summary>
    public long GraphLaunches => _graphLaunches;

    static nint Handle(CudaStream? stream) => stream?.Handle ?? 0;

    /// <summary>Runs <paramref name="operation"/> now, or records it when <paramref name="stream"/> is being captured.</summary>
    void RunOrRecord(CudaStream? stream, Action operation)
    {
        if (_captures.TryGetValue(Handle(stream), out var recorded)) recorded.Add(operation);
        else operation();
    }

    void RefuseWhileCapturing(string call, string why)
    {
        if (_captures.Count > 0)
            throw new CudaException(call, CaptureUnsupported, "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED",
                detail: $"not allowed while a stream is being captured into a graph ({why})");
    }

    /// <inheritdoc/>
    public void BeginCapture(CudaStream? stream = null)
    {
        if (!_captures.TryAdd(Handle(stream), []))
            throw new CudaException("cuStreamBeginCapture_v2", 1, "CUDA_ERROR_INVALID_VALUE", detail: $"stream {Handle(stream)} is already being captured");
    }

    /// <inheritdoc/>
    public CudaGraph EndCapture(CudaStream? stream = null)
    {
        if (!_captures.Remove(Handle(stream), out var recorded))
            throw new CudaException("cuStreamEndCapture", 1, "CUDA_ERROR_INVALID_VALUE", detail: $"stream {Handle(stream)} is not being captured");
        _graphs.Add(recorded);
        return new CudaGraph(_graphs.Count, recorded.Count);
    }

    /// <inheritdoc/>
    public bool IsCapturing(CudaStream? stream = null) => _captures.ContainsKey(Handle(stream));

    /// <inheritdoc/>
    public void LaunchGraph(CudaGraph graph, CudaStream? stream = null)
    {
        var work = WorkOf(graph, "cuGraphLaunch");
        RefuseWhileCapturing("cuGraphLaunch", "this device does not record a graph inside another");
        _graphLaunches++;
        foreach (var operation in work) operation();
    }

    /// <inheritdoc/>
    public void DestroyGraph(CudaGraph graph)
    {
        WorkOf(graph, "cuGraphExecDestroy");
        _graphs[(int)graph.Handle - 1] = null;
    }

    List<Action> WorkOf(CudaGraph graph, string call)
    {
        int index = (int)graph.Handle - 1;
        return index >= 0 && index < _graphs.Count && _graphs[index] is { } work
            ? work
            : throw new CudaException(call, 400, "CUDA_ERROR_INVALID_HANDLE", detail: $"graph {graph.Handle} was not made by this device or was destroyed");
    }
}
