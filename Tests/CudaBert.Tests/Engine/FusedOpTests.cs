using CudaBert.Engine;
using CudaBert.Engine.Random;
using CudaBert.Tests.BertKernels;

namespace CudaBert.Tests.Engine;

/// <summary>
/// The fused ops: their backward rules against finite differences (float64), and on the CPU the same
/// bits as the chains of ops they replace (float32), forward and every gradient.
/// </summary>
public class FusedOpTests
{
    private static Tensor R(Shape shape, ulong seed, double std = 1.0) => GradientCheck.Random(shape, seed, std);

    [Theory]
    [InlineData(new[] { 4, 3 }, 5)]
    [InlineData(new[] { 2, 3, 5 }, 6)]
    public void LinearGeluGradients(int[] dims, int outFeatures)
    {
        using var scope = Tensor.Scope();
        var x = R(dims, 60, std: 2.0);
        GradientCheck.Check(t => Ops.LinearGelu(t[0], t[1], t[2]), x, R([outFeatures, dims[^1]], 61), R([outFeatures], 62));
    }

    [Theory]
    [InlineData(new[] { 4, 3 }, 5, 2)]
    [InlineData(new[] { 2, 3, 5 }, 6, 4)]
    public void LinearGeluLinearGradients(int[] dims, int hidden, int outFeatures)
    {
        using var scope = Tensor.Scope();
        GradientCheck.Check(t => Ops.LinearGeluLinear(t[0], t[1], t[2], t[3], t[4]),
            R(dims, 67, std: 2.0), R([hidden, dims[^1]], 68), R([hidden], 69), R([outFeatures, hidden], 79), R([outFeatures], 80));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void DropoutResidualLayerNormGradients(double p)
    {
        using var scope = Tensor.Scope();
        int[] dims = [2, 3, 6];
        GradientCheck.Check(t => Ops.DropoutResidualLayerNorm(t[0], p, seed: 42, offset: 8, t[1], t[2], t[3], eps: 1e-5),
            R(dims, 63, std: 3.0), R(dims, 64), R([6], 65), R([6], 66));
    }

    // Shapes with rows whose length is not a multiple of the vector width, and enough rows to split over threads.
    public static TheoryData<int, int, int> LinearShapes => new() { { 7, 5, 13 }, { 300, 48, 100 } };

    [Theory, MemberData(nameof(LinearShapes))]
    public void LinearGeluHasTheBitsOfLinearThenGelu(int rows, int inFeatures, int outFeatures)
    {
        using var scope = Tensor.Scope();
        var (x, w, b, dy) = (Float32([rows, inFeatures], 70), Float32([outFeatures, inFeatures], 71), Float32([outFeatures], 72), Float32([rows, outFeatures], 73));
        var (fused, fusedGrads) = ForwardBackward(() => Ops.LinearGelu(x, w, b), dy, x, w, b);
        var (chain, chainGrads) = ForwardBackward(() => Ops.Gelu(Ops.Linear(x, w, b)), dy, x, w, b);
        KernelAssert.BitEqual(chain, fused, "y");
        for (int i = 0; i < chainGrads.Length; i++) KernelAssert.BitEqual(chainGrads[i], fusedGrads[i], $"gradient of input {i}");
    }

    [Theory, MemberData(nameof(LinearShapes))]
    public void LinearGeluLinearHasTheBitsOfLinearGeluThenLinear(int rows, int inFeatures, int hidden)
    {
        using var scope = Tensor.Scope();
        const int outFeatures = 11;
        var (x, w1, b1) = (Float32([rows, inFeatures], 81), Float32([hidden, inFeatures], 82), Float32([hidden], 83));
        var (w2, b2, dy) = (Float32([outFeatures, hidden], 84), Float32([outFeatures], 85), Float32([rows, outFeatures], 86));
        var (fused, fusedGrads) = ForwardBackward(() => Ops.LinearGeluLinear(x, w1, b1, w2, b2), dy, x, w1, b1, w2, b2);
        var (chain, chainGrads) = ForwardBackward(() => Ops.Linear(Ops.Gelu(Ops.Linear(x, w1, b1)), w2, b2), dy, x, w1, b1, w2, b2);
        KernelAssert.BitEqual(chain, fused, "y");
        for (int i = 0; i < chainGrads.Length; i++) KernelAssert.BitEqual(chainGrads[i], fusedGrads[i], $"gradient of input {i}");
    }

    [Theory, MemberData(nameof(LinearShapes))]
    public void LinearGeluLinearBFloat16HasTheBitsOfTheSeparateBFloat16Ops(int rows, int inFeatures, int hidden)
    {
        using var scope = Tensor.Scope();
        const int outFeatures = 11;
        var (x, w1, b1) = (Float32([rows, inFeatures], 87), Float32([hidden, inFeatures], 88), Float32([hidden], 89));
        var (w2, b2, dy) = (Float32([outFeatures, hidden], 90), Float32([outFeatures], 91), Float32([rows, outFeatures], 92));
        var (fused, fusedGrads) = ForwardBackward(() => Ops.LinearGeluLinearBFloat16(x, w1, b1, w2, b2), dy, x, w1, b1, w2, b2);
        var (chain, chainGrads) = ForwardBackward(() => Ops.LinearBFloat16(Ops.Gelu(Ops.LinearBFloat16(x, w1, b1)), w2, b2), dy, x, w1, b1, w2, b2);
        KernelAssert.BitEqual(chain, fused, "y");
        for (int i = 0; i < chainGrads.Length; i++) KernelAssert.BitEqual(chainGrads[i], fusedGrads[i], $"gradient of input {i}");
    }

    [Fact]
    public void LinearGeluLinearRejectsASecondLayerThatDoesNotFit()
    {
        using var scope = Tensor.Scope();
        var (x, w1, b1) = (Tensor.Zeros([2, 3]), Tensor.Zeros([5, 3]), Tensor.Zeros([5]));
        var error = Assert.Throws<ArgumentException>(() => Ops.LinearGeluLinear(x, w1, b1, Tensor.Zeros([4, 6]), Tensor.Zeros([4])));
        Assert.Contains("w2 [4, 6]", error.Message);
    }

    public static TheoryData<double, int, int> NormShapes => new() { { 0.0, 7, 13 }, { 0.1, 7, 13 }, { 0.1, 300, 100 }, { 1.0, 4, 8 } };

    [Theory, MemberData(nameof(NormShapes))]
    public void DropoutResidualLayerNormHasTheBitsOfDropoutAddLayerNorm(double p, int rows, int cols)
    {
        using var scope = Tensor.Scope();
        const ulong seed = 0xfeed_5eedUL, offset = 77;
        var (x, residual, gamma, beta, dy) = (Float32([rows, cols], 74), Float32([rows, cols], 75), Float32([cols], 76), Float32([cols], 77), Float32([rows, cols], 78));
        var (fused, fusedGrads) = ForwardBackward(() => Ops.DropoutResidualLayerNorm(x, p, seed, offset, residual, gamma, beta, 1e-12), dy, x, residual, gamma, beta);
        var (chain, chainGrads) = ForwardBackward(
            () => Ops.LayerNorm(Ops.Add(Ops.Dropout(x, p, seed, offset), residual), gamma, beta, 1e-12), dy, x, residual, gamma, beta);
        KernelAssert.BitEqual(chain, fused, "y");
        for (int i = 0; i < chainGrads.Length; i++) KernelAssert.BitEqual(chainGrads[i], fusedGrads[i], $"gradient of input {i}");
    }

    private static Tensor Float32(Shape shape, ulong seed)
    {
        var t = Tensor.Normal(shape, new Generator(seed));
        t.RequiresGrad = true;
        return t;
    }

    private static (float[] Output, float[][] Gradients) ForwardBackward(Func<Tensor> f, Tensor dy, params Tensor[] inputs)
    {
        foreach (var input in inputs) input.ZeroGrad();
        var y = f();
        Ops.Sum(Ops.Mul(y, dy.Detach())).Backward();
        return (y.ToArray<float>(), inputs.Select(input => input.Grad!.ToArray<float>()).ToArray());
    }
}
