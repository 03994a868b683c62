using CudaBert.Engine.Autograd;
using CudaBert.Engine.Backends;

namespace CudaBert.Engine.Optim;

/// <summary>
/// Adam with decoupled weight decay (Loshchilov &amp; Hutter), step for step as
/// <c>torch.optim.AdamW</c>: per parameter, moments m and v start at zero and a step count t
/// advances only when the parameter has a gradient; see <see cref="IBackend.AdamWStep"/> for the
/// update. Parameters with <c>RequiresGrad == false</c> (frozen) or no gradient are skipped.
/// The moments are owned by the optimizer and freed by <see cref="Dispose"/>.
/// </summary>
public sealed class AdamW : IDisposable
{
    private readonly Dictionary<Tensor, State> states = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// An optimizer over <paramref name="groups"/>, each with its own learning rate and weight decay;
    /// <paramref name="beta1"/>, <paramref name="beta2"/> and <paramref name="eps"/> are PyTorch's defaults. A parameter
    /// that appears in more than one group is an <see cref="ArgumentException"/>.
    /// </summary>
    public AdamW(IEnumerable<ParameterGroup> groups, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8)
    {
        Groups = groups.ToList();
        Beta1 = beta1;
        Beta2 = beta2;
        Eps = eps;
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var p in Groups.SelectMany(g => g.Parameters))
            if (!seen.Add(p)) throw new ArgumentException($"parameter {p.Shape} appears in more than one parameter group");
    }

    /// <summary>One group: every parameter with the same lr and weight decay (PyTorch's default decay is 0.01).</summary>
    public AdamW(IEnumerable<Tensor> parameters, double learningRate = 1e-3, double weightDecay = 0.01)
        : this([new ParameterGroup(parameters, learningRate, weightDecay)]) { }

    /// <summary>The parameter groups, in the order given; a schedule sets their learning rates.</summary>
    public IReadOnlyList<ParameterGroup> Groups { get; }
    /// <summary>Decay rate β1 of the first-moment (mean) estimate.</summary>
    public double Beta1 { get; }
    /// <summary>Decay rate β2 of the second-moment (uncentred variance) estimate.</summary>
    public double Beta2 { get; }
    /// <summary>ε added to the denominator √v̂ for numerical stability.</summary>
    public double Eps { get; }

    /// <summary>
    /// One update of every parameter that requires a gradient and has one (<see cref="Tensor.Grad"/>), with
    /// its group's current learning rate. Gradients are left as they are: clear them with <see cref="ZeroGrad"/> before the next backward.
    /// The updates go to the backend together (<see cref="IBackend.AdamWSteps"/>: one launch on a GPU), one call per device.
    /// A parameter with a <see cref="Tensor.BFloat16Copy"/> (mixed precision) gets it rewritten in the same pass.
    /// </summary>
    public void Step()
    {
        using var noGrad = GradMode.NoGrad();
        var updates = new List<AdamWUpdate>();
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
            {
                if (!p.RequiresGrad || p.Grad is null) continue;
                if (!states.TryGetValue(p, out var state))
                    states[p] = state = new State(Tensor.Zeros(p.Shape, p.DType, p.Device).Keep(), Tensor.Zeros(p.Shape, p.DType, p.Device).Keep());
                state.Step++;
                updates.Add(new AdamWUpdate(p, p.Grad, state.ExpAvg, state.ExpAvgSq,
                    new AdamWStepArgs(group.LearningRate, Beta1, Beta2, Eps, group.WeightDecay, state.Step), p.BFloat16Copy));
            }
        foreach (var onOneDevice in updates.GroupBy(u => u.Param.Device))
            onOneDevice.First().Param.Backend.AdamWSteps(onOneDevice.ToArray());
    }

    /// <summary>
    /// The parameters <see cref="Step"/> would update now (those that require a gradient and have one), in the
    /// order it passes them to the backend: the order of the entries of a captured step's table.
    /// </summary>
    public List<Tensor> ParametersToUpdate() =>
        Groups.SelectMany(g => g.Parameters).Where(p => p.RequiresGrad && p.Grad is not null).ToList();

    /// <summary>
    /// The host's part of a <see cref="Step"/> whose kernels run elsewhere (a replayed CUDA graph that captured
    /// a step of these <paramref name="parameters"/>, listed as <see cref="ParametersToUpdate"/> did then):
    /// advances each one's step count and returns its update's scalars with its group's current learning
    /// rate, in the same order. Every parameter must have been updated before (its moments exist).
    /// </summary>
    public AdamWStepArgs[] AdvanceSteps(IReadOnlyList<Tensor> parameters)
    {
        var args = new AdamWStepArgs[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var group = Groups.First(g => g.Parameters.Contains(p, ReferenceEqualityComparer.Instance));
            if (!states.TryGetValue(p, out var state))
                throw new InvalidOperationException($"AdamW: parameter {p.Shape} has no state yet: a step must run before its kernels can be replayed");
            state.Step++;
            args[i] = new AdamWStepArgs(group.LearningRate, Beta1, Beta2, Eps, group.WeightDecay, state.Step);
        }
        return args;
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Groups.SelectMany(g => g.Parameters)) p.ZeroGrad();
    }

    /// <summary>The step count of a parameter (0 before its first update).</summary>
    public long StepCount(Tensor parameter) => states.TryGetValue(parameter, out var s) ? s.Step : 0;

    /// <summary>
    /// A parameter's optimizer state for checkpoints: its moments (owned by the optimizer: do not
    /// dispose) and step count; false before the parameter's first update.
    /// </summary>
    public bool TryGetState(Tensor parameter, out Tensor expAvg, out Tensor expAvgSq, out long step)
    {
        bool found = states.TryGetValue(parameter, out var state);
        (expAvg, expAvgSq, step) = found ? (state!.ExpAvg, state.ExpAvgSq, state.Step) : (null!, null!, 0);
        return found;
    }

    /// <summary>Restores a parameter's state saved with <see cref="TryGetState"/> (values are copied).</summary>
    public void SetState(Tensor parameter, Tensor expAvg, Tensor expAvgSq, long step)
    {
        if (!Groups.Any(g => g.Parameters.Contains(parameter, ReferenceEqualityComparer.Instance)))
            throw new ArgumentException($"parameter {parameter.Shape} is in no group of this optimizer");
        if (expAvg.Shape != parameter.Shape || expAvgSq.Shape != parameter.Shape)
            throw new ArgumentException($"optimizer state shapes {expAvg.Shape} / {expAvgSq.Shape} do not match the parameter {parameter.Shape}");
        if (states.Remove(parameter, out var old))
        {
            old.ExpAvg.Dispose();
            old.ExpAvgSq.Dispose();
        }
        states[parameter] = new State(CopyLike(expAvg, parameter), CopyLike(expAvgSq, parameter)) { Step = step };
    }

    /// <summary>A copy of <paramref name="source"/> with the dtype and device of <paramref name="like"/>, owned by the caller.</summary>
    private static Tensor CopyLike(Tensor source, Tensor like)
    {
        var converted = source.DType == like.DType ? source : source.To(like.DType);
        var copy = converted.To(like.Device).Keep();
        if (!ReferenceEquals(converted, source)) converted.Dispose();
        return copy;
    }

    /// <summary>Frees the moment tensors of every parameter; the parameters themselves belong to their module.</summary>
    public void Dispose()
    {
        foreach (var s in states.Values)
        {
            s.ExpAvg.Dispose();
            s.ExpAvgSq.Dispose();
        }
        states.Clear();
    }

    private sealed class State(Tensor expAvg, Tensor expAvgSq)
    {
        public Tensor ExpAvg { get; } = expAvg;
        public Tensor ExpAvgSq { get; } = expAvgSq;
        public long Step { get; set; }
    }
}
