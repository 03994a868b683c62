using CudaBert.Engine;

namespace CudaBert.Tests.Engine;

/// <summary>
/// <see cref="Ops.GeluTanh"/>'s backward rule against central finite differences (its forward is
/// checked against PyTorch in <c>TorchFixtures/ActivationVsTorchTests</c>).
/// </summary>
public class GeluTanhGradientTests
{
    [Theory]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 3, 4, 5 })]
    public void BackwardMatchesFiniteDifferences(int[] dims)
    {
        using var scope = Tensor.Scope();
        // std 2: both saturated tails (t → ±1) and the curved middle, where the x³ term matters.
        GradientCheck.Check(t => Ops.GeluTanh(t[0]), GradientCheck.Random(dims, 21, std: 2.0));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SaturatesToZeroAndIdentityWithoutNaN(DType dtype)
    {
        // Far in the tails e^(−2u) overflows (x < 0) or vanishes (x > 0): y → 0 and x, dy/dx → 0 and 1.
        // Seven values: the first four take the CPU's four-wide path, the last three its scalar tail.
        using var scope = Tensor.Scope();
        double[] values = [-1000, -30, 30, 1000, -1000, -30, 30];
        var x = Tensor.FromArray(values, [7]).To(dtype);
        x.RequiresGrad = true;
        var y = Ops.GeluTanh(x);
        Ops.Sum(y).Backward();
        Assert.Equal(values.Select(v => v < 0 ? 0.0 : v), y.To(DType.Float64).ToArray<double>());
        Assert.Equal(values.Select(v => v < 0 ? 0.0 : 1.0), x.Grad!.To(DType.Float64).ToArray<double>());
    }

    [Fact]
    public void DiffersFromTheExactGeluByItsKnownApproximationError()
    {
        // On this grid the two forms differ by at most 4.73e-4 (CPython's math.erf and math.tanh);
        // a wrong constant leaves far more: √(1/π) for √(2/π) gives 0.10, 0.04 for 0.044715 gives 2.9e-3.
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray(Enumerable.Range(0, 121).Select(i => -6.0 + 0.1 * i).ToArray(), [121]);
        double[] exact = Ops.Gelu(x).ToArray<double>(), approximate = Ops.GeluTanh(x).ToArray<double>();
        double largest = exact.Zip(approximate, (e, a) => Math.Abs(e - a)).Max();
        Assert.InRange(largest, 4.7e-4, 4.8e-4);
    }
}
