using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Optim;

namespace CudaBert.Tests.Engine;

public class OptimizerTests
{
    private static Tensor Parameter(params double[] values)
    {
        var p = Tensor.FromArray(values, [values.Length]);
        p.RequiresGrad = true;
        return p;
    }

    private static void SetGrad(Tensor p, params double[] grad)
    {
        p.ZeroGrad();
        // L = Σ p ⊙ g has gradient g.
        Ops.Sum(Ops.Mul(p, Tensor.FromArray(grad, [grad.Length]))).Backward();
    }

    [Fact]
    public void FirstAdamWStepIsSignLikeWithDecoupledDecay()
    {
        // At t = 1 the bias-corrected moments are m̂ = g and v̂ = g², so
        // θ₁ = θ₀·(1 − lr·λ) − lr·g / (|g| + ε): a step of about lr against the gradient's sign.
        using var scope = Tensor.Scope();
        var p = Parameter(1.0, -2.0, 0.5);
        double lr = 0.1, wd = 0.05, eps = 1e-8;
        double[] g = [0.3, -4.0, 1e-3];
        SetGrad(p, g);
        using var adamw = new AdamW([new ParameterGroup([p], lr, wd)], eps: eps);
        adamw.Step();
        var after = p.ToArray<double>();
        double[] before = [1.0, -2.0, 0.5];
        for (int i = 0; i < 3; i++)
            AssertClose.Scalar(before[i] * (1 - lr * wd) - lr * g[i] / (Math.Abs(g[i]) + eps), after[i], $"after[{i}]", absolute: 1e-14);
    }

    [Fact]
    public void AdamWFollowsTheTorchRecurrenceOverSeveralSteps()
    {
        // The recurrence of torch.optim.AdamW's documentation, written out per scalar.
        using var scope = Tensor.Scope();
        var p = Parameter(0.7, -0.2);
        double lr = 0.01, wd = 0.1, b1 = 0.8, b2 = 0.95, eps = 1e-6;
        using var adamw = new AdamW([new ParameterGroup([p], lr, wd)], b1, b2, eps);
        double[] theta = [0.7, -0.2], m = [0, 0], v = [0, 0];
        for (int t = 1; t <= 5; t++)
        {
            double[] g = [Math.Sin(t), Math.Cos(3 * t) * 2];
            SetGrad(p, g);
            adamw.Step();
            for (int i = 0; i < 2; i++)
            {
                theta[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mHat = m[i] / (1 - Math.Pow(b1, t)), vHat = v[i] / (1 - Math.Pow(b2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
            }
            var actual = p.ToArray<double>();
            for (int i = 0; i < 2; i++) AssertClose.Scalar(theta[i], actual[i], $"actual[{i}]", absolute: 1e-13);
        }
        Assert.Equal(5, adamw.StepCount(p));
    }

    [Fact]
    public void AdamWSkipsFrozenParametersAndParametersWithoutGradients()
    {
        using var scope = Tensor.Scope();
        var trained = Parameter(1.0);
        var frozen = Parameter(2.0);
        var unused = Parameter(3.0);
        SetGrad(trained, 1.0);
        SetGrad(frozen, 1.0);
        frozen.RequiresGrad = false;
        using var adamw = new AdamW([new ParameterGroup([trained, frozen], 0.1, 0.5), new ParameterGroup([unused], 0.1, 0.5)]);
        adamw.Step();
        Assert.NotEqual(1.0, trained.Item());
        Assert.Equal(2.0, frozen.Item());
        Assert.Equal(3.0, unused.Item());   // no gradient: not even weight decay, as PyTorch
        Assert.Equal(0, adamw.StepCount(unused));
        adamw.ZeroGrad();
        Assert.Null(trained.Grad);
    }

    [Fact]
    public void ParameterGroupsUseTheirOwnLearningRates()
    {
        using var scope = Tensor.Scope();
        var slow = Parameter(0.0);
        var fast = Parameter(0.0);
        SetGrad(slow, 1.0);
        SetGrad(fast, 1.0);
        using var adamw = new AdamW([new ParameterGroup([slow], 0.001, 0), new ParameterGroup([fast], 0.1, 0)]);
        adamw.Step();
        AssertClose.Scalar(-0.001, slow.Item(), "slow.Item()", absolute: 1e-10);
        AssertClose.Scalar(-0.1, fast.Item(), "fast.Item()", absolute: 1e-8);
    }

    [Fact]
    public void ClipGradNormScalesToTheGlobalNorm()
    {
        using var scope = Tensor.Scope();
        var a = Parameter(0.0, 0.0);
        var b = Parameter(0.0);
        SetGrad(a, 3.0, 0.0);
        SetGrad(b, 4.0);
        // ‖(3, 0, 4)‖ = 5 ≤ 10: untouched.
        AssertClose.Scalar(5.0, GradientClipping.ClipGradNorm([a, b], 10.0), "norm returned with max norm 10", absolute: 1e-12);
        Assert.Equal(new[] { 3.0, 0.0 }, a.Grad!.ToArray<double>());
        // 5 > 1: every gradient scaled by 1/(5 + 1e-6).
        AssertClose.Scalar(5.0, GradientClipping.ClipGradNorm([a, b], 1.0), "norm returned with max norm 1", absolute: 1e-12);
        AssertClose.Scalar(3.0 / (5 + 1e-6), a.Grad!.ToArray<double>()[0], "a.Grad!.ToArray<double>()[0]", absolute: 1e-14);
        AssertClose.Scalar(4.0 / (5 + 1e-6), b.Grad!.ToArray<double>()[0], "b.Grad!.ToArray<double>()[0]", absolute: 1e-14);
    }

    [Fact]
    public void TheGroupedStepIsBitIdenticalToOneAdamWStepPerParameter()
    {
        // Two groups with their own lr and decay; the second parameter frozen for the first step, so its
        // step count lags behind. The reference: the per-parameter primitive, called parameter by parameter.
        using var scope = Tensor.Scope();
        var random = new Random(5);
        float[] Values(int n) => Enumerable.Range(0, n).Select(_ => random.NextSingle() - 0.5f).ToArray();
        Tensor NewParameter(float[] values) { var p = Tensor.FromArray(values, [values.Length]); p.RequiresGrad = true; return p; }
        float[][] initial = [Values(37), Values(300), Values(5)];
        var parameters = initial.Select(NewParameter).ToArray();
        var reference = initial.Select(v => Tensor.FromArray(v, [v.Length])).ToArray();
        var moments = initial.Select(v => (M: Tensor.Zeros([v.Length]), V: Tensor.Zeros([v.Length]), Step: 0L)).ToArray();
        double[] learningRates = [1e-3, 1e-3, 3e-2], decays = [0.01, 0.01, 0];
        using var adamw = new AdamW([new ParameterGroup(parameters[..2], 1e-3, 0.01), new ParameterGroup(parameters[2..], 3e-2, 0)]);
        for (int step = 0; step < 3; step++)
        {
            parameters[1].RequiresGrad = step > 0;
            for (int k = 0; k < parameters.Length; k++)
            {
                var grad = Tensor.FromArray(Values(initial[k].Length), [initial[k].Length]);
                parameters[k].Grad = grad;
                if (!parameters[k].RequiresGrad) continue;
                moments[k].Step++;
                CpuBackend.Instance.AdamWStep(reference[k], grad, moments[k].M, moments[k].V,
                    new AdamWStepArgs(learningRates[k], adamw.Beta1, adamw.Beta2, adamw.Eps, decays[k], moments[k].Step));
            }
            adamw.Step();
        }
        for (int k = 0; k < parameters.Length; k++)
        {
            Assert.Equal(moments[k].Step, adamw.StepCount(parameters[k]));
            Assert.True(reference[k].ToArray<float>().AsSpan().SequenceEqual(parameters[k].ToArray<float>()), $"parameter {k} differs from the per-parameter step");
        }
    }

    [Fact]
    public void TheNormInATensorEqualsTheNormReturnedAndTheTensorByTensorSumBitForBit()
    {
        using var scope = Tensor.Scope();
        var random = new Random(6);
        float[][] grads = [.. new[] { 41, 7, 300 }.Select(n => Enumerable.Range(0, n).Select(_ => random.NextSingle() * 3).ToArray())];
        Tensor Parameter(float[] grad) { var p = Tensor.Zeros([grad.Length]); p.RequiresGrad = true; p.Grad = Tensor.FromArray(grad, [grad.Length]); return p; }
        var (first, second) = (grads.Select(Parameter).ToArray(), grads.Select(Parameter).ToArray());
        using var norm = Tensor.Empty([1], DType.Float64);

        GradientClipping.ClipGradNorm(first, 1.0, norm);
        double returned = GradientClipping.ClipGradNorm(second, 1.0);

        // The reference: Σ g² of each tensor in double, the sums added in tensor order, then one float multiply per element.
        double sum = grads.Sum(g => g.Aggregate(0.0, (s, v) => s + (double)v * v));
        double expected = Math.Sqrt(sum);
        float factor = (float)(1.0 / (expected + 1e-6));
        Assert.Equal(expected, norm.Item());
        Assert.Equal(expected, returned);
        for (int k = 0; k < grads.Length; k++)
        {
            var want = grads[k].Select(g => g * factor).ToArray();
            Assert.True(want.AsSpan().SequenceEqual(first[k].Grad!.ToArray<float>()), $"gradient {k} (norm in a tensor)");
            Assert.True(want.AsSpan().SequenceEqual(second[k].Grad!.ToArray<float>()), $"gradient {k} (norm returned)");
        }
    }

    [Fact]
    public void LinearWarmupThenLinearDecayToZero()
    {
        var schedule = new LinearWarmupSchedule(warmupSteps: 2, totalSteps: 6);
        double[] expected = [0, 0.5, 1, 0.75, 0.5, 0.25, 0, 0];
        for (int step = 0; step < expected.Length; step++) AssertClose.Scalar(expected[step], schedule.Factor(step), $"schedule.Factor({step})", absolute: 1e-15);

        using var scope = Tensor.Scope();
        using var adamw = new AdamW([new ParameterGroup([Parameter(1.0)], 0.2), new ParameterGroup([Parameter(1.0)], 0.04)]);
        schedule.Apply(adamw, 3);
        AssertClose.Scalar(0.15, adamw.Groups[0].LearningRate, "adamw.Groups[0].LearningRate", absolute: 1e-15);
        AssertClose.Scalar(0.03, adamw.Groups[1].LearningRate, "adamw.Groups[1].LearningRate", absolute: 1e-15);
    }
}
