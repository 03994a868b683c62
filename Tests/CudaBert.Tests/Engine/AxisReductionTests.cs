using CudaBert.Engine;

namespace CudaBert.Tests.Engine;

/// <summary>
/// <see cref="Ops.Sum(Tensor, int, bool)"/> and <see cref="Ops.Mean(Tensor, int, bool)"/>: values
/// against a naive loop over multi-indices written from the definition, result shapes with and
/// without keepDim, the backward rule against central finite differences for every axis, and the
/// errors. (PyTorch parity of the last axis is in <c>TorchFixtures/ReductionVsTorchTests</c>.)
/// </summary>
public class AxisReductionTests
{
    private static readonly int[] Dims = [2, 3, 4, 5];

    public static TheoryData<int, bool> AxesAndKeepDim
    {
        get
        {
            var data = new TheoryData<int, bool>();
            foreach (int axis in new[] { 0, 1, 2, 3, -1, -3 })
                foreach (bool keepDim in new[] { false, true }) data.Add(axis, keepDim);
            return data;
        }
    }

    [Theory, MemberData(nameof(AxesAndKeepDim))]
    public void SumAndMeanMatchANaiveLoop(int axis, bool keepDim)
    {
        using var scope = Tensor.Scope();
        var x = GradientCheck.Random(Dims, 31, requiresGrad: false);
        double[] values = x.ToArray<double>();
        int reduced = axis < 0 ? axis + Dims.Length : axis;
        int[] expectedShape = keepDim
            ? Dims.Select((d, i) => i == reduced ? 1 : d).ToArray()
            : Dims.Where((_, i) => i != reduced).ToArray();

        // Naive reference: every element adds itself to the output at its multi-index minus the axis.
        var sums = new double[values.Length / Dims[reduced]];
        for (int flat = 0; flat < values.Length; flat++)
        {
            int[] index = Unravel(flat, Dims);
            int output = 0;
            for (int d = 0; d < Dims.Length; d++)
                if (d != reduced) output = output * Dims[d] + index[d];
            sums[output] += values[flat];
        }

        var sum = Ops.Sum(x, axis, keepDim);
        var mean = Ops.Mean(x, axis, keepDim);
        Assert.Equal(new Shape(expectedShape), sum.Shape);
        Assert.Equal(new Shape(expectedShape), mean.Shape);
        double[] sumValues = sum.ToArray<double>(), meanValues = mean.ToArray<double>();
        for (int j = 0; j < sums.Length; j++)
        {
            AssertClose.Scalar(sums[j], sumValues[j], $"sumValues[{j}]", absolute: 1e-13);
            AssertClose.Scalar(sums[j] / Dims[reduced], meanValues[j], $"meanValues[{j}]", absolute: 1e-13);
        }
    }

    [Theory, MemberData(nameof(AxesAndKeepDim))]
    public void BackwardMatchesFiniteDifferences(int axis, bool keepDim)
    {
        using var scope = Tensor.Scope();
        var x = GradientCheck.Random(Dims, 32);
        GradientCheck.Check(t => Ops.Sum(t[0], axis, keepDim), x);
        GradientCheck.Check(t => Ops.Mean(t[0], axis, keepDim), x);
    }

    [Fact]
    public void Float32SumIsTheDoubleSumRoundedOnce()
    {
        // 1 + 2⁻²⁴ + 2⁻²⁴ rounds to 1 when added in float32 one at a time, to 1 + 2⁻²³ in double.
        using var scope = Tensor.Scope();
        float tiny = MathF.Pow(2, -24);
        var x = Tensor.FromArray(new[] { 1f, tiny, tiny }, [1, 3]);
        Assert.Equal(1f + 2 * tiny, Ops.Sum(x, 1).ToArray<float>()[0]);
    }

    [Fact]
    public void AnEmptyAxisSumsToZeroAndAveragesToNaN()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 0, 3], DType.Float32);
        Assert.Equal(new float[6], Ops.Sum(x, 1).ToArray<float>());
        Assert.All(Ops.Mean(x, 1).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-4)]
    public void AnAxisOutOfRangeNamesTheAxisAndTheShape(int axis)
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Zeros([2, 3, 4], DType.Float32);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Ops.Sum(x, axis));
        Assert.Contains($"axis {axis}", error.Message);
        Assert.Contains("[2, 3, 4]", error.Message);
    }

    private static int[] Unravel(int flat, int[] dims)
    {
        var index = new int[dims.Length];
        for (int d = dims.Length - 1; d >= 0; d--) { index[d] = flat % dims[d]; flat /= dims[d]; }
        return index;
    }
}
