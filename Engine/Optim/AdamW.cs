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

    public IReadOnlyList<ParameterGroup> Groups { get; }
    public double Beta1 { get; }
    public double Beta2 { get; }
    public double Eps { get; }

    public void Step()
    {
        using var noGrad = GradMode.NoGrad();
        foreach (var group in Groups)
            foreach (var p in group.Parameters)
            {
                if (!p.RequiresGrad || p.Grad is null) continue;
                if (!states.TryGetValue(p, out var state))
                    states[p] = state = new State(Tensor.Zeros(p.Shape, p.DType, p.Device).Keep(), Tensor.Zeros(p.Shape, p.DType, p.Device).Keep());
                state.Step++;
                p.Backend.AdamWStep(p, p.Grad, state.ExpAvg, state.ExpAvgSq,
                    new AdamWStepArgs(group.LearningRate, Beta1, Beta2, Eps, group.WeightDecay, state.Step));
            }
    }

    /// <summary>Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Groups.SelectMany(g => g.Parameters)) p.ZeroGrad();
    }

    /// <summary>The step count of a parameter (0 before its first update).</summary>
    public long StepCount(Tensor parameter) => states.TryGetValue(parameter, out var s) ? s.Step : 0;

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
