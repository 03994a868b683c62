using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>
/// Compares the gradients autograd computes with central finite differences, in float64.
/// The function's output is reduced to the scalar L = Σ f(x) ⊙ w with a fixed random cotangent w,
/// so every output element contributes with a different weight (a plain sum would hide errors
/// that cancel). Then for every element x_j of every input that requires a gradient:
/// ∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h, with error O(h²) from truncation and
/// O(ε·|L|/h) from rounding; h = 1e-5 balances the two near 1e-10.
/// </summary>
internal static class GradientCheck
{
    private const double Step = 1e-5;

    /// <summary>How far autograd may be from the finite difference: absolute + relative·|finite difference|.</summary>
    private const double Absolute = 1e-7, Relative = 1e-6;

    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs)
    {
        using var scope = Tensor.Scope();
        foreach (var input in inputs) input.ZeroGrad();

        Tensor cotangent;
        using (GradMode.NoGrad())
        {
            var probe = f(inputs);
            Assert.Equal(DType.Float64, probe.DType);
            cotangent = Tensor.Normal(probe.Shape, new Generator(12345), dtype: DType.Float64);
        }
        Ops.Sum(Ops.Mul(f(inputs), cotangent)).Backward();

        for (int index = 0; index < inputs.Length; index++)
        {
            var input = inputs[index];
            if (!input.RequiresGrad) continue;
            Assert.NotNull(input.Grad);
            var analytic = input.Grad!.ToArray<double>();
            var values = input.AsSpan<double>();
            for (int j = 0; j < analytic.Length; j++)
            {
                double original = values[j];
                values[j] = original + Step;
                double plus = Evaluate(f, inputs, cotangent);
                values = input.AsSpan<double>();
                values[j] = original - Step;
                double minus = Evaluate(f, inputs, cotangent);
                values = input.AsSpan<double>();
                values[j] = original;
                double numeric = (plus - minus) / (2 * Step);
                AssertClose.Scalar(numeric, analytic[j], $"input {index} {input.Shape} element {j}, autograd (expected: the finite difference)",
                    absolute: Absolute, relative: Relative);
            }
        }
    }

    private static double Evaluate(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor cotangent)
    {
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        return Ops.Sum(Ops.Mul(f(inputs), cotangent)).Item();
    }

    /// <summary>A float64 leaf of N(0, 1) samples (or scaled) that requires a gradient.</summary>
    public static Tensor Random(Shape shape, ulong seed, double std = 1.0, bool requiresGrad = true)
    {
        var t = Tensor.Normal(shape, new Generator(seed), 0, std, DType.Float64);
        t.RequiresGrad = requiresGrad;
        return t;
    }
}
