using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cuda;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Kernels.Device;
using CudaBert.Model.Bert;

namespace CudaBert.Model.Training;

/// <summary>
/// The training step as CUDA graphs (<see cref="TrainingOptions.CudaGraphs"/>): the first step of a batch
/// shape is captured — forward, loss, backward, clipping and the AdamW update, a few hundred launches —
/// into a <see cref="CapturedGraph"/>, and every later step of that shape replays it with one call.
/// Length bucketing keeps the shapes few; at most <see cref="MaxGraphs"/> graphs are kept (the least
/// recently used is dropped), since each holds the memory of its step.
/// <para>
/// A replay does what the captured launches did, with the addresses they had. Before each one the host
/// writes what changes into the graph's memory: the batch into the graph's input tensors, the AdamW
/// table with this step's learning rate and step counts, and each dropout stream's shift from where the
/// capture drew its masks. Then the host-side state moves on as the eager step would have moved it (the
/// optimizer's step counts, the dropout layers' offsets), so graphs and eager steps can follow each
/// other in any order and give the same numbers, bit for bit.
/// </para>
/// <para>
/// Captured only when every parameter the step updates already has its AdamW moments (an eager step made
/// them: creating them is a memset a replay would repeat). Steps that cannot be captured run eagerly;
/// see <see cref="Resolve"/> for the run-wide reasons.
/// </para>
/// </summary>
public sealed class CudaGraphSteps : IDisposable
{
    /// <summary>On for a CUDA run when the step can be captured, else eager with a notice.</summary>
    public const string Auto = "auto";
    /// <summary>Always: a run whose step cannot be captured fails.</summary>
    public const string On = "on";
    /// <summary>Never: every step runs eagerly.</summary>
    public const string Off = "off";
    /// <summary>The values of <see cref="TrainingOptions.CudaGraphs"/>.</summary>
    public static IReadOnlyList<string> Modes { get; } = [Auto, On, Off];

    /// <summary>Graphs kept at once: one per batch shape seen most recently.</summary>
    public const int MaxGraphs = 16;

    /// <summary>The losses of one step, scalars on the device.</summary>
    public readonly record struct StepLosses(Tensor Total, Tensor? Sentence, Tensor? Tokens);

    /// <summary>A captured step: its graph, the tensors it reads its batch from and writes its losses to, and what it moves on the host.</summary>
    sealed class Graph(CapturedGraph captured, TwoTaskBatch inputs, StepLosses losses, List<Tensor> updated, ulong[] offsetsAtCapture, ulong[] advance)
        : IDisposable
    {
        public CapturedGraph Captured { get; } = captured;
        public TwoTaskBatch Inputs { get; } = inputs;
        public StepLosses Losses { get; } = losses;
        public List<Tensor> Updated { get; } = updated;          // the parameters of the captured AdamW table, in its order
        public ulong[] OffsetsAtCapture { get; } = offsetsAtCapture; // each dropout layer's offset when the capture began
        public ulong[] Advance { get; } = advance;                   // how far one step moves each dropout layer
        public long LastUse { get; set; }

        public void Dispose()
        {
            Captured.Dispose();
            Inputs.Dispose();
            var losses = new HashSet<Tensor>(ReferenceEqualityComparer.Instance) { Losses.Total };
            if (Losses.Sentence is { } sentence) losses.Add(sentence);
            if (Losses.Tokens is { } tokens) losses.Add(tokens);
            foreach (var t in losses) t.Dispose();
        }
    }

    readonly CudaBackend _backend;
    readonly MultiTaskBert _model;
    readonly AdamW _optimizer;
    readonly bool _required;
    readonly Dropout[] _dropouts;
    readonly Dictionary<string, Graph> _graphs = [];
    long _uses;

    CudaGraphSteps(CudaBackend backend, MultiTaskBert model, AdamW optimizer, bool required)
    {
        _backend = backend;
        _model = model;
        _optimizer = optimizer;
        _required = required;
        _dropouts = Checkpoint.Dropouts(model).Select(d => d.Dropout).ToArray();
    }

    /// <summary>
    /// The graphs of a run, or null with the reason the run's steps cannot be captured: <c>off</c>, the CPU, several
    /// data-parallel ranks (their gradients meet on the host between backward and the update), gradient
    /// accumulation (several batches per update), dropout layers sharing a stream. With <c>on</c> a reason is an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public static CudaGraphSteps? Resolve(TrainingOptions options, Device device, int ranks, MultiTaskBert model, AdamW optimizer, out string? reason)
    {
        reason = options.CudaGraphs == Off ? "turned off (cuda-graphs off)"
            : device != Device.Cuda ? "the run is on the CPU"
            : ranks > 1 ? "data-parallel ranks average their gradients between backward and the optimizer step"
            : options.GradientAccumulation > 1 ? "gradient accumulation runs several batches per optimizer step"
            : Checkpoint.Dropouts(model).Select(d => d.Dropout.Seed).GroupBy(s => s).Any(g => g.Count() > 1) ? "two dropout layers share a random stream"
            : null;
        if (reason is not null && options.CudaGraphs == On)
            throw new ArgumentException($"option cuda-graphs: on, but the training step cannot be captured: {reason}");
        return reason is null ? new CudaGraphSteps(CudaBackend.Current, model, optimizer, options.CudaGraphs == On) : null;
    }

    /// <summary>Why steps run eagerly from now on (a capture failed); null while graphs are used.</summary>
    public string? EagerBecause { get; private set; }
    /// <summary>Graphs captured so far (one per batch shape, again after one was dropped).</summary>
    public int Captures { get; private set; }
    /// <summary>Steps run by replaying a graph captured at an earlier step.</summary>
    public int Replays { get; private set; }

    /// <summary>
    /// Runs one optimizer step of <paramref name="batch"/> as a graph: replays the one of its shape, or captures one
    /// (running <paramref name="step"/> — forward, loss, backward, clipping, the optimizer step — under capture,
    /// then the graph). Null when the step must run eagerly instead (nothing has happened then): the optimizer
    /// has no moments yet for a parameter, or graphs were given up. The learning rate of the step must be set.
    /// <paramref name="sentence"/> and <paramref name="tokens"/> say which heads have a loss (part of the shape);
    /// <paramref name="notice"/> hears the line saying why graphs were given up, if a capture fails.
    /// </summary>
    public StepLosses? TryStep(TwoTaskBatch batch, bool sentence, bool tokens, Func<TwoTaskBatch, StepLosses> step, Action<string> notice)
    {
        if (EagerBecause is not null) return null;
        var training = _model.Parameters().Where(p => p.RequiresGrad).ToList();
        if (Updated(sentence, tokens).Any(p => p.RequiresGrad && _optimizer.StepCount(p) == 0)) return null;
        string key = Key(batch, sentence, tokens, training);
        if (_graphs.TryGetValue(key, out var graph))
        {
            Replay(graph, batch);
            return graph.Losses;
        }
        graph = Capture(batch, step, notice);
        if (graph is null) return null;
        _graphs[key] = graph;
        DropOldest();
        return graph.Losses;
    }

    /// <summary>The parameters a step updates: the encoder's, and each head's that has a loss.</summary>
    IEnumerable<Tensor> Updated(bool sentence, bool tokens)
    {
        var updated = _model.Encoder.Parameters();
        if (sentence) updated = updated.Concat(_model.Classifier.Parameters());
        if (tokens) updated = updated.Concat(_model.TokenClassifier.Parameters()).Concat(_model.Crf?.Parameters() ?? []);
        return updated;
    }

    /// <summary>What a graph depends on besides values: the shapes of the batch tensors it reads, the heads with a loss, which parameters train.</summary>
    string Key(TwoTaskBatch batch, bool sentence, bool tokens, List<Tensor> training)
    {
        var parts = Tensors(batch).Select(t => t is null ? "-" : $"{t.DType}{t.Shape}").ToList();
        parts.Add($"sentence={sentence} tokens={tokens}");
        parts.Add(string.Join(",", training.Select(p => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(p))));
        return string.Join(" ", parts);
    }

    /// <summary>The device tensors of a batch that the step reads (the word tags only with a CRF head), null for the ones it lacks, always in the same order.</summary>
    Tensor?[] Tensors(TwoTaskBatch b)
    {
        var wordTags = _model.Crf is null ? null : b.WordTags;
        return [b.InputIds, b.TokenTypeIds, b.AttentionMask, b.SentenceLabels, b.TokenLabels, wordTags?.FirstTokens, wordTags?.Tags];
    }

    Graph? Capture(TwoTaskBatch batch, Func<TwoTaskBatch, StepLosses> step, Action<string> notice)
    {
        var inputs = Copy(batch);
        ulong[] before = _dropouts.Select(d => d.Offset).ToArray();
        var counts = new Dictionary<Tensor, long>(ReferenceEqualityComparer.Instance);
        foreach (var p in _model.Parameters()) counts[p] = _optimizer.StepCount(p);
        StepLosses losses = default;
        List<Tensor> updated = [];
        CapturedGraph captured;
        try
        {
            captured = _backend.Capture(() =>
            {
                using var scope = Tensor.Scope();
                var (total, sentence, tokens) = step(inputs);
                updated = _optimizer.ParametersToUpdate();
                losses = new StepLosses(total.Keep(), sentence?.Keep(), tokens?.Keep());
            });
        }
        catch (Exception e) when (e is CudaException or NotSupportedException)
        {
            // Nothing ran on the device. Undo the host's part of the step, unless the optimizer already counted it.
            for (int i = 0; i < _dropouts.Length; i++) _dropouts[i].Offset = before[i];
            _optimizer.ZeroGrad();
            inputs.Dispose();
            if (counts.Any(c => _optimizer.StepCount(c.Key) != c.Value) || _required)
                throw new InvalidOperationException($"CUDA graphs: capturing the training step failed: {e.Message}", e);
            Dispose();   // eager steps get back the memory the graphs held (a capture can fail for want of it)
            EagerBecause = $"capturing the training step failed, so steps run eagerly from now on: {e.Message}";
            notice($"CUDA graphs: off: {EagerBecause}");
            return null;
        }
        if (updated.Any(p => counts[p] == 0))
        {
            captured.Dispose();
            inputs.Dispose();
            throw new InvalidOperationException("CUDA graphs: the captured step made a parameter's first AdamW update (creating its moments), which a replay would repeat");
        }
        var graph = new Graph(captured, inputs, losses, updated, before,
            _dropouts.Select((d, i) => d.Offset - before[i]).ToArray()) { LastUse = ++_uses };
        captured.Launch();   // the captured step itself has not run yet
        Captures++;
        return graph;
    }

    void Replay(Graph graph, TwoTaskBatch batch)
    {
        var (from, to) = (Tensors(batch), Tensors(graph.Inputs));
        for (int i = 0; i < from.Length; i++)
            if (from[i] is { } source) to[i]!.CopyFrom(source);
        graph.Captured.UpdateOptimizer(_optimizer.AdvanceSteps(graph.Updated));
        var shiftOf = new Dictionary<ulong, ulong>();
        for (int i = 0; i < _dropouts.Length; i++) shiftOf[_dropouts[i].Seed] = _dropouts[i].Offset - graph.OffsetsAtCapture[i];
        graph.Captured.ShiftDropout(seed => shiftOf[seed]);
        graph.Captured.Launch();
        for (int i = 0; i < _dropouts.Length; i++) _dropouts[i].Offset += graph.Advance[i];
        graph.LastUse = ++_uses;
        Replays++;
    }

    /// <summary>The graph's own copy of the batch tensors: what the captured work reads, rewritten before each replay.</summary>
    TwoTaskBatch Copy(TwoTaskBatch b)
    {
        static Tensor? Own(Tensor? t) => t?.Clone().Keep();
        return new TwoTaskBatch
        {
            Examples = b.Examples, Encodings = b.Encodings,
            InputIds = Own(b.InputIds)!, TokenTypeIds = Own(b.TokenTypeIds)!, AttentionMask = Own(b.AttentionMask)!,
            SentenceLabels = Own(b.SentenceLabels), TokenLabels = Own(b.TokenLabels),
            WordTags = _model.Crf is not null && b.WordTags is { } w ? new WordTagTargets(Own(w.FirstTokens)!, Own(w.Tags)!) : null,
        };
    }

    void DropOldest()
    {
        if (_graphs.Count <= MaxGraphs) return;
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
