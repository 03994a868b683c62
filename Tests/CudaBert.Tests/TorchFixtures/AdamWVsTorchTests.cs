using CudaBert.Engine;
using CudaBert.Engine.Optim;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// AdamW, gradient clipping and the warmup schedule against 5 steps of PyTorch (see
/// <see cref="AdamWFixture"/>). Step 1 runs at lr 0 (Hugging Face's schedule starts there), so
/// only the moments move; every step clips (the norm before clipping is 0.70 to 0.91, the maximum
/// 0.5); one parameter of the decaying group is frozen and must never change.
/// </summary>
public class AdamWVsTorchTests
{
    public static TheoryData<string> DTypes => new("f64", "f32");

    /// <summary>
    /// The optimizer alone: each step's gradients are PyTorch's, injected through the loss
    /// Σ_p sum(p ⊙ G_p) whose gradient is exactly G_p, so only clipping, the schedule and the
    /// AdamW update are under test.
    /// </summary>
    [Theory, MemberData(nameof(DTypes))]
    public void StepsMatchTorchWhenGivenTorchGradients(string dtype) =>
        Run(dtype, (fixture, parameters, step) =>
        {
            Tensor? loss = null;
            foreach (var (name, p) in parameters)
            {
                if (!p.RequiresGrad) continue;
                var term = Ops.Sum(Ops.Mul(p, fixture.Load($"step{step}/grad/{name}")));
                loss = loss is null ? term : Ops.Add(loss, term);
            }
            loss!.Backward();
        });

    /// <summary>
    /// The whole training step on our ops: forward (linear, layer norm, tanh, linear,
    /// cross-entropy with an ignored target), backward, clipping, schedule, AdamW.
    /// </summary>
    [Theory, MemberData(nameof(DTypes))]
    public void TrainingLoopMatchesTorch(string dtype) =>
        Run(dtype, (fixture, p, step) =>
        {
            var x = fixture.Load("x");
            var y = fixture.LoadIndices("y");
            var h = Ops.Linear(x, p["dense.weight"], p["dense.bias"]);
            h = Ops.Tanh(Ops.LayerNorm(h, p["LayerNorm.weight"], p["LayerNorm.bias"], fixture.LayerNormEps));
            var loss = Ops.CrossEntropy(Ops.Linear(h, p["classifier.weight"], p["classifier.bias"]), y);
            fixture.AssertMatches($"step{step}/loss", loss);
            loss.Backward();
            foreach (var (name, parameter) in p)
                if (parameter.RequiresGrad) fixture.AssertMatches($"step{step}/grad/{name}", parameter.Grad!);
        });

    /// <summary>
    /// Runs the fixture's steps: <paramref name="computeGradients"/> fills every trainable
    /// parameter's gradient for step t (1-based); then clip, schedule and step are checked.
    /// </summary>
    private static void Run(string dtype, Action<AdamWFixture, IReadOnlyDictionary<string, Tensor>, int> computeGradients)
    {
        using var fixture = new AdamWFixture(dtype);
        using var scope = Tensor.Scope();
        var parameters = fixture.ParameterNames.ToDictionary(
            name => name, name => fixture.Load($"initial/{name}", requiresGrad: !fixture.Frozen.Contains(name)));
        var groups = fixture.Groups.Select(g => new ParameterGroup(g.Parameters.Select(n => parameters[n]), g.LearningRate, g.WeightDecay)).ToList();
        using var optimizer = new AdamW(groups, fixture.Beta1, fixture.Beta2, fixture.Eps);
        var schedule = new LinearWarmupSchedule(fixture.WarmupSteps, fixture.TotalSteps);

        for (int step = 1; step <= fixture.Steps; step++)
        {
            optimizer.ZeroGrad();
            schedule.Apply(optimizer, step - 1);
            for (int g = 0; g < groups.Count; g++)
                fixture.AssertMatches($"step{step}/lr/{fixture.Groups[g].Name}", groups[g].LearningRate);

            using (Tensor.Scope()) computeGradients(fixture, parameters, step);
            double norm = GradientClipping.ClipGradNorm(parameters.Values, fixture.MaxGradNorm);
            fixture.AssertMatches($"step{step}/grad_norm", norm);
            optimizer.Step();

            foreach (var (name, p) in parameters)
                fixture.AssertMatches($"step{step}/param/{name}", p);
        }
    }
}
