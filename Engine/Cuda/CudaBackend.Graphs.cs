using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Capturing work into a CUDA graph (CapturedGraph.cs replays it).
public sealed partial class CudaBackend
{
    /// <summary>The capture in progress, or null: the primitives whose arguments change from step to step look at it.</summary>
    GraphCapture? capture;

    /// <summary>True while <see cref="Capture"/> records work instead of running it.</summary>
    public bool IsCapturing => capture is not null;

    /// <summary>
    /// Runs <paramref name="work"/> with the device's default stream being captured: every launch, memset and
    /// device copy it queues is recorded into a graph, not run, and the tensors it creates get their memory
    /// from a pool of the graph's own (<see cref="GraphMemoryPool"/>). Launch the result to run the work, as many
    /// times as wanted (<see cref="CapturedGraph.Launch"/>).
    /// <para>
    /// Two kinds of values change between replays and are read from device memory the graph owns instead of
    /// being captured as launch arguments: AdamW's table (learning rate, step count and bias corrections:
    /// <see cref="CapturedGraph.UpdateOptimizer"/>) and the dropout stream positions
    /// (<see cref="CapturedGraph.ShiftDropout"/>). A read of device memory during <paramref name="work"/> fails
    /// with CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED; the capture is then abandoned (and the exception rethrown).
    /// </para>
    /// </summary>
    public CapturedGraph Capture(Action work)
    {
        if (capture is not null) throw new InvalidOperationException("a graph is already being captured on this backend");
        var pool = new GraphMemoryPool();
        var state = new GraphCapture(this);
        Allocator.OpenPool(pool);
        capture = state;
        CudaGraph graph;
        try
        {
            Gpu.BeginCapture();
            try
            {
                work();
            }
            catch
            {
                try { Gpu.DestroyGraph(Gpu.EndCapture()); }
                catch (CudaException) { }   // an invalidated capture fails to end: the error that invalidated it is the one to report
                throw;
            }
            graph = Gpu.EndCapture();
        }
        catch
        {
            capture = null;
            Allocator.ClosePool();
            state.FreeBuffers();
            Allocator.ReleasePool(pool);
            throw;
        }
        capture = null;
        Allocator.ClosePool();
        return new CapturedGraph(this, graph, pool, state);
    }

    /// <summary>
    /// A replay may have run embedding lookups, whose bad-id flag the next read of device memory must check
    /// (<see cref="ThrowIfALookupFailed"/>): the host code that notes a lookup does not run on a replay.
    /// </summary>
    internal void LookupsMayHaveRun() => lookupsUnchecked = true;

    /// <summary>
    /// The device memory one capture owns outside its pool: buffers the host writes between replays, so
    /// they must never be reused by the captured work itself.
    /// </summary>
    internal sealed class GraphCapture(CudaBackend backend)
    {
        /// <summary>Slots of the dropout shifts: one ulong per dropout stream (seed) the capture drew masks from.</summary>
        public const int MaxDropoutStreams = 1024;

        public DevicePtr AdamWTable { get; private set; }
        public MultiTensorOptimizerKernels.AdamWTensor[]? AdamWTensors { get; private set; }
        public List<ulong> DropoutSeeds { get; } = [];
        public DevicePtr DropoutShifts { get; private set; }

        /// <summary>The table's own buffer; its bytes are written when the capture ends (a copy now would be captured).</summary>
        public DevicePtr TableForAdamW(MultiTensorOptimizerKernels.AdamWTensor[] tensors, int bytes)
        {
            if (!AdamWTable.IsNull)
                throw new NotSupportedException("CUDA graphs: a captured step takes at most one optimizer step");
            AdamWTable = backend.Gpu.Allocate(bytes);
            AdamWTensors = tensors;
            return AdamWTable;
        }

        /// <summary>The device address holding the shift of dropout stream <paramref name="seed"/> (0 at the first launch).</summary>
        public DevicePtr ShiftOf(ulong seed)
        {
            if (DropoutShifts.IsNull) DropoutShifts = backend.Gpu.Allocate(MaxDropoutStreams * sizeof(ulong));
            int slot = DropoutSeeds.IndexOf(seed);
            if (slot < 0)
            {
                if (DropoutSeeds.Count == MaxDropoutStreams)
                    throw new NotSupportedException($"CUDA graphs: a captured step may draw from at most {MaxDropoutStreams} dropout streams");
                slot = DropoutSeeds.Count;
                DropoutSeeds.Add(seed);
            }
            return DropoutShifts.Offset(slot * sizeof(ulong));
        }

        public void FreeBuffers()
        {
            backend.Gpu.Free(AdamWTable);
            backend.Gpu.Free(DropoutShifts);
        }
    }
}
