using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Runs one fixture case through the engine and compares with PyTorch: the forward output, then —
/// after a backward pass fed with the same upstream gradient — the gradient of every input
/// PyTorch differentiated with respect to.
/// </summary>
internal static class TorchFixtureRun
{
    /// <summary>
    /// Checks <paramref name="forward"/> (our op applied to the case's inputs) against the fixture
    /// case <paramref name="caseName"/> of <c>&lt;op&gt;.safetensors</c>.
    /// </summary>
    public static void Check(string op, string caseName, Func<CaseInputs, Tensor> forward)
    {
        using var fixture = TorchFixture.Load(op);
        var fixtureCase = fixture.Case(caseName);
        using var scope = Tensor.Scope();
        var inputs = new CaseInputs(fixtureCase);

        var output = forward(inputs);
        Assert.Equal(inputs.DType, output.DType);
        TorchAssert.MatchesTorch(fixtureCase, "out", output.Shape.ToArray(), ToDoubles(output));

        BackwardWithUpstream(output, inputs);
        foreach (string name in fixtureCase.Wrt)
        {
            var grad = inputs[name].Grad ?? throw new Xunit.Sdk.XunitException($"{fixtureCase.Label}: no gradient reached input '{name}'");
            TorchAssert.MatchesTorch(fixtureCase, "grad_" + name, grad.Shape.ToArray(), ToDoubles(grad));
        }
    }

    /// <summary>
    /// Backward from <c>sum(output ⊙ grad_out)</c>, whose gradient with respect to the output is
    /// grad_out exactly (the ones of sum's backward times grad_out), so each input receives
    /// PyTorch's upstream gradient. A scalar output is its own loss (grad_out is 1).
    /// </summary>
    private static void BackwardWithUpstream(Tensor output, CaseInputs inputs)
    {
        if (output.Rank == 0)
        {
            Assert.Equal([1.0], inputs.Case.Values("grad_out"));
            output.Backward();
            return;
        }
        var upstream = inputs.Case.IsFloat64
            ? Tensor.FromArray(inputs.Case.Values("grad_out"), output.Shape)
            : Tensor.FromArray(inputs.Case.Float32Values("grad_out"), output.Shape);
        Ops.Sum(Ops.Mul(output, upstream)).Backward();
    }

    /// <summary>A float tensor's values widened to double (exact for float32).</summary>
    public static double[] ToDoubles(Tensor t) => t.DType switch
    {
        DType.Float64 => t.ToArray<double>(),
        DType.Float32 => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
        _ => throw new ArgumentException($"expected a floating tensor, got {t}"),
    };
}
