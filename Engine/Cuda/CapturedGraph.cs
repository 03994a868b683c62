using CudaBert.Engine.Backends;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

/// <summary>
/// Work captured by <see cref="CudaBackend.Capture"/>, ready to replay: one <see cref="Launch"/> queues
/// all of it (hundreds of kernels) at the cost of one call. A replay runs the captured launches with
/// the arguments and addresses they had at capture; what may change is what memory holds: the tensors the
/// work reads (write new inputs into them before a launch), the optimizer's table
/// (<see cref="UpdateOptimizer"/>) and the dropout shifts (<see cref="ShiftDropout"/>). Disposing it
/// destroys the graph and gives its memory pool back to the allocator.
/// </summary>
public sealed class CapturedGraph : IDisposable
{
    readonly CudaBackend backend;
    readonly GraphMemoryPool pool;
    readonly CudaBackend.GraphCapture buffers;
    readonly ulong[] shifts;
    CudaGraph? graph;

    internal CapturedGraph(CudaBackend backend, CudaGraph graph, GraphMemoryPool pool, CudaBackend.GraphCapture buffers)
    {
        this.backend = backend;
        this.graph = graph;
        this.pool = pool;
        this.buffers = buffers;
        shifts = new ulong[buffers.DropoutSeeds.Count];
        if (buffers.AdamWTensors is { } tensors)
            backend.Gpu.CopyToDevice<byte>(MultiTensorOptimizerKernels.AdamWTable(tensors).Bytes, buffers.AdamWTable, Stream);
        WriteShifts();
    }

    static readonly CudaStream Stream = new(0);   // the device's default stream, where the graph runs: copies on it are ordered with the replays

    /// <summary>Times <see cref="Launch"/> was called.</summary>
    public int Launches { get; private set; }

    /// <summary>The dropout streams (by seed) whose masks the captured work draws, in the order of their first use.</summary>
    public IReadOnlyList<ulong> DropoutSeeds => buffers.DropoutSeeds;

    /// <summary>Queues the captured work on the device's default stream (after everything queued before).</summary>
    public void Launch()
    {
        ObjectDisposedException.ThrowIf(graph is null, this);
        backend.Gpu.LaunchGraph(graph);
        backend.LookupsMayHaveRun();
        Launches++;
    }

    /// <summary>
    /// Rewrites the captured AdamW step's table for the next replay: the addresses stay, the scalars become
    /// <paramref name="args"/> (one per update of the captured <see cref="IBackend.AdamWSteps"/>, in its order).
    /// </summary>
    public void UpdateOptimizer(ReadOnlySpan<AdamWStepArgs> args)
    {
        ObjectDisposedException.ThrowIf(graph is null, this);
        var captured = buffers.AdamWTensors ?? throw new InvalidOperationException("the captured work has no optimizer step");
        if (args.Length != captured.Length)
            throw new ArgumentException($"CUDA graph: {args.Length} optimizer updates for a captured step of {captured.Length}");
        var tensors = new MultiTensorOptimizerKernels.AdamWTensor[captured.Length];
        for (int i = 0; i < tensors.Length; i++)
        {
            var a = args[i];
            tensors[i] = captured[i] with { LearningRate = a.LearningRate, Beta1 = a.Beta1, Beta2 = a.Beta2, Eps = a.Eps, WeightDecay = a.WeightDecay, Step = a.Step };
        }
        backend.Gpu.CopyToDevice<byte>(MultiTensorOptimizerKernels.AdamWTable(tensors).Bytes, buffers.AdamWTable, Stream);
    }

    /// <summary>
    /// Moves every dropout stream the captured work draws from by <paramref name="shiftOf"/>(its seed) positions
    /// for the next replays, relative to where the capture drew its masks (0 replays the captured masks).
    /// The shifts are uploaded on the default stream: ordered after the replays queued before, and before the next.
    /// </summary>
    public void ShiftDropout(Func<ulong, ulong> shiftOf)
    {
        ObjectDisposedException.ThrowIf(graph is null, this);
        for (int slot = 0; slot < shifts.Length; slot++) shifts[slot] = shiftOf(buffers.DropoutSeeds[slot]);
        WriteShifts();
    }

    void WriteShifts()
    {
        if (shifts.Length > 0) backend.Gpu.CopyToDevice<ulong>(shifts, buffers.DropoutShifts, Stream);
    }

    /// <summary>Destroys the graph and returns its memory (waits for the device when a replay may still be running).</summary>
    public void Dispose()
    {
        if (graph is null) return;
        backend.Gpu.Synchronize();
        backend.Gpu.DestroyGraph(graph);
        graph = null;
        buffers.FreeBuffers();
        backend.Allocator.ReleasePool(pool);
    }
}
