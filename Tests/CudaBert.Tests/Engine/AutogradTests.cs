using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

public class AutogradTests
{
    [Fact]
    public void NothingIsRecordedWithoutAnInputThatRequiresGrad()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Ones([2, 2]);
        var w = Tensor.Ones([2, 2], requiresGradOf: false);
        var y = Ops.Linear(x, w);
        Assert.Null(y.GradFn);
        Assert.False(y.RequiresGrad);
    }

    [Fact]
    public void NoGradScopeStopsRecording()
    {
        using var scope = Tensor.Scope();
        var w = Tensor.FromArray(new float[] { 1, 2 }, [2], requiresGrad: true);
        using (GradMode.NoGrad())
            Assert.Null(Ops.Mul(w, w).GradFn);
        Assert.NotNull(Ops.Mul(w, w).GradFn);
    }

    [Fact]
    public void EachLeafIsReportedOnceWithItsGradientComplete()
    {
        using var scope = Tensor.Scope();
        var w = Tensor.FromArray(new float[] { 1, 2, 3 }, [3], requiresGrad: true);
        var v = Tensor.FromArray(new float[] { 4, 5, 6 }, [3], requiresGrad: true);
        var x = Tensor.FromArray(new float[] { 7, 8, 9 }, [3]);
        // w reaches the root along three paths (w·x, w·w twice) and v along one: d/dw = x + 2w, d/dv = w.
        var loss = Ops.Sum(Ops.Mul(w, x) + Ops.Mul(w, w) + Ops.Mul(Ops.Mul(w, v), Tensor.Ones([3])));
        var reported = new List<(Tensor Leaf, float[] Gradient)>();
        loss.Backward(leaf => reported.Add((leaf, leaf.Grad!.ToArray<float>())));

        Assert.Equal(2, reported.Count);   // x and the ones need no gradient; intermediate tensors are not leaves
        var (first, second) = (reported.Single(r => ReferenceEquals(r.Leaf, w)), reported.Single(r => ReferenceEquals(r.Leaf, v)));
        Assert.Equal(new float[] { 7 + 2 + 4, 8 + 4 + 5, 9 + 6 + 6 }, first.Gradient);   // x + 2w + v: nothing was added later
        Assert.Equal(new float[] { 1, 2, 3 }, second.Gradient);
        Assert.Equal(first.Gradient, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void GradientsAccumulateAcrossBackwardCallsUntilZeroed()
    {
        using var scope = Tensor.Scope();
        var w = Tensor.FromArray(new float[] { 1, 2, 3 }, [3], requiresGrad: true);
        // d/dw Σ w² = 2w, twice → 4w.
        Ops.Sum(w * w).Backward();
        Ops.Sum(w * w).Backward();
        Assert.Equal(new float[] { 4, 8, 12 }, w.Grad!.ToArray<float>());
        w.ZeroGrad();
        Assert.Null(w.Grad);
        Ops.Sum(w * 3.0).Backward();
        Assert.Equal(new float[] { 3, 3, 3 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void DetachCutsTheGraph()
    {
        using var scope = Tensor.Scope();
        var w = Tensor.FromArray(new float[] { 2 }, [1], requiresGrad: true);
        var d = (w * w).Detach();
        Assert.False(d.RequiresGrad);
        // L = Σ w·stop(w²): the gradient sees only the first factor, dL/dw = w² = 4.
        Ops.Sum(w * d).Backward();
        Assert.Equal(new float[] { 4 }, w.Grad!.ToArray<float>());
    }

    [Fact]
    public void BackwardNeedsAScalarThatRequiresGrad()
    {
        using var scope = Tensor.Scope();
        var w = Tensor.Ones([3], requiresGradOf: true);
        Assert.Throws<InvalidOperationException>(() => (w * 2.0).Backward());
        Assert.Throws<InvalidOperationException>(() => Ops.Sum(Tensor.Ones([3])).Backward());
    }

    [Fact]
    public void FrozenModuleRecordsNoNodesAndGetsNoGradient()
    {
        using var scope = Tensor.Scope();
        using var encoder = new Linear(4, 4, new Generator(1));
        using var head = new Linear(4, 2, new Generator(2));
        encoder.Freeze();
        var x = Tensor.Ones([3, 4]);
        var hidden = encoder.Forward(x);
        Assert.Null(hidden.GradFn); // no node: the frozen encoder costs no backward
        Ops.Sum(head.Forward(hidden)).Backward();
        Assert.Null(encoder.Weight.Grad);
        Assert.NotNull(head.Weight.Grad);
        encoder.Unfreeze();
        Assert.NotNull(encoder.Forward(x).GradFn);
    }
}

internal static class TensorTestExtensions
{
    extension(Tensor)
    {
        /// <summary>Ones with a chosen RequiresGrad (test shorthand).</summary>
        public static Tensor Ones(Shape shape, bool requiresGradOf)
        {
            var t = Tensor.Ones(shape);
            t.RequiresGrad = requiresGradOf;
            return t;
        }
    }
}
