using CudaBert.Engine;
using CudaBert.Engine.Cuda;
using CudaBert.Kernels.Device;
using CudaBert.Model.Training;

namespace CudaBert.Model.Inference;

/// <summary>
/// An inference forward pass (no autograd, dropout off) as CUDA graphs: the first batch of an input shape
/// — (B, S) and the dtypes of the input tensors — is captured into a <see cref="CapturedGraph"/>, and every
/// later batch of that shape replays it with one launch. Before a replay the batch is copied into the graph's
/// own input tensors; the results are the graph's own output tensors, rewritten by every replay (read them
/// before the next batch). Nothing changes on the host between batches — no optimizer, no dropout stream —
/// so a replay gives the eager pass's numbers bit for bit.
/// <para>
/// The pass is a function of its inputs only (<see cref="Forward"/>): the model's parameters stay where they
/// are, and a replay reads their current values. At most <see cref="CudaGraphSteps.MaxGraphs"/> graphs are kept
/// (the least recently used is dropped), since each holds the activations of its shape. The modes are those of
/// the training step (<see cref="CudaGraphSteps.Modes"/>).
/// </para>
/// </summary>
public sealed class CudaGraphForward : IDisposable
{
    /// <summary>The work captured: output tensors computed from the input tensors, in a fixed order for both.</summary>
    public delegate Tensor[] Forward(IReadOnlyList<Tensor> inputs);

    /// <summary>A captured pass: its graph, the tensors it reads its inputs from and writes its outputs to.</summary>
    sealed class Graph(CapturedGraph captured, Tensor[] inputs, Tensor[] outputs) : IDisposable
    {
        public CapturedGraph Captured { get; } = captured;
        public Tensor[] Inputs { get; } = inputs;
        public Tensor[] Outputs { get; } = outputs;
        public long LastUse { get; set; }

        public void Dispose()
        {
            Captured.Dispose();
            foreach (var t in Inputs) t.Dispose();
            foreach (var t in Outputs.Distinct<Tensor>(ReferenceEqualityComparer.Instance)) t.Dispose();
        }
    }

    readonly CudaBackend _backend;
    readonly Forward _forward;
    readonly bool _required;
    readonly Dictionary<string, Graph> _graphs = [];
    long _uses;

    CudaGraphForward(CudaBackend backend, Forward forward, bool required)
    {
        _backend = backend;
        _forward = forward;
        _required = required;
    }

    /// <summary>
    /// The graphs of a forward pass on <paramref name="device"/> in <paramref name="mode"/>, or null with the reason
    /// it runs eagerly: <c>off</c>, or the CPU. With <c>on</c> a reason is an <see cref="ArgumentException"/>.
    /// </summary>
    public static CudaGraphForward? Resolve(string mode, Device device, Forward forward, out string? reason)
    {
        if (!CudaGraphSteps.Modes.Contains(mode))
            throw new ArgumentException($"option cuda-graphs: must be one of {string.Join(", ", CudaGraphSteps.Modes)}, not '{mode}'");
        reason = mode == CudaGraphSteps.Off ? "turned off (cuda-graphs off)"
            : device != Device.Cuda ? "the model is on the CPU"
            : null;
        if (reason is not null && mode == CudaGraphSteps.On)
            throw new ArgumentException($"option cuda-graphs: on, but the forward pass cannot be captured: {reason}");
        return reason is null ? new CudaGraphForward(CudaBackend.Current, forward, mode == CudaGraphSteps.On) : null;
    }

    /// <summary>Why passes run eagerly from now on (a capture failed); null while graphs are used.</summary>
    public string? EagerBecause { get; private set; }
    /// <summary>Graphs captured so far (one per input shape, again after one was dropped).</summary>
    public int Captures { get; private set; }
    /// <summary>Passes run by replaying a graph captured earlier.</summary>
    public int Replays { get; private set; }

    /// <summary>
    /// Runs the pass on <paramref name="inputs"/> (device tensors) as a graph: replays the one of their shape, or
    /// captures one and launches it. Returns the graph's output tensors (owned by the graph: do not dispose them),
    /// or null when the pass must run eagerly because graphs were given up (a capture failed, in mode auto).
    /// Call it under <see cref="Engine.Autograd.GradMode.NoGrad"/> with the model in evaluation mode.
    /// </summary>
    public IReadOnlyList<Tensor>? TryRun(IReadOnlyList<Tensor> inputs)
    {
        if (EagerBecause is not null) return null;
        string key = string.Join(" ", inputs.Select(t => $"{t.DType}{t.Shape}"));
        if (_graphs.TryGetValue(key, out var graph))
        {
            for (int i = 0; i < inputs.Count; i++) graph.Inputs[i].CopyFrom(inputs[i]);
            graph.Captured.Launch();
            graph.LastUse = ++_uses;
            Replays++;
            return graph.Outputs;
        }
        graph = Capture(inputs);
        if (graph is null) return null;
        _graphs[key] = graph;
        DropOldest();
        return graph.Outputs;
    }

    Graph? Capture(IReadOnlyList<Tensor> inputs)
    {
        var own = inputs.Select(t => t.Clone().Keep()).ToArray();   // the graph's input tensors, rewritten before each replay
        Tensor[] outputs = [];
        CapturedGraph captured;
        try
        {
            captured = _backend.Capture(() =>
            {
                using var scope = Tensor.Scope();
                outputs = _forward(own).Select(t => t.Keep()).ToArray();
            });
        }
        catch (Exception e) when (e is CudaException or NotSupportedException)
        {
            foreach (var t in own) t.Dispose();
            if (_required) throw new InvalidOperationException($"CUDA graphs: capturing the forward pass failed: {e.Message}", e);
            Dispose();   // the eager passes get back the memory the graphs held (a capture can fail for want of it)
            EagerBecause = $"capturing the forward pass failed, so it runs eagerly from now on: {e.Message}";
            return null;
        }
        var graph = new Graph(captured, own, outputs) { LastUse = ++_uses };
        captured.Launch();   // the captured pass itself has not run yet
        Captures++;
        return graph;
    }

    void DropOldest()
    {
        if (_graphs.Count <= CudaGraphSteps.MaxGraphs) return;
        var oldest = _graphs.MinBy(g => g.Value.LastUse);
        oldest.Value.Dispose();
        _graphs.Remove(oldest.Key);
    }

    /// <summary>Destroys every graph and frees its memory.</summary>
    public void Dispose()
    {
        foreach (var graph in _graphs.Values) graph.Dispose();
        _graphs.Clear();
    }
}
