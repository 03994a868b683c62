namespace CudaBert.Tests.Assertions;

/// <summary>The comparison helpers themselves: a NaN must fail them, and a failure must say where and by how much.</summary>
public class AssertCloseTests
{
    [Fact]
    public void ToScaleFailsOnANaNAfterTheFirstElement()
    {
        float[] expected = [1f, 2f, 3f], actual = [1.5f, float.NaN, 3f];
        var error = Assert.ThrowsAny<Exception>(() => AssertClose.ToScale(expected, actual, "x", relative: 1));
        Assert.Contains("x[1]", error.Message);
    }

    [Fact]
    public void ScalarFailsOnANaN() =>
        Assert.ThrowsAny<Exception>(() => AssertClose.Scalar(1.0, double.NaN, "loss", relative: 1));

    [Fact]
    public void ElementwiseNamesTheFirstElementOutsideItsBoundWithBothValuesAndTheBound()
    {
        double[] expected = [1, 100, 10], actual = [1, 100.5, 12];
        // Bound 0.1 + 0.01·|expected|: element 1 (bound 1.1) passes, element 2 (bound 0.2) fails.
        AssertClose.Elementwise(expected.AsSpan(0, 2), actual.AsSpan(0, 2), "y", absolute: 0.1, relative: 0.01);
        var error = Assert.ThrowsAny<Exception>(() => AssertClose.Elementwise(expected, actual, "y", absolute: 0.1, relative: 0.01));
        Assert.Contains("y[2]: expected 10, actual 12, error 2.000E+000 > bound 2.000E-001", error.Message);
    }

    [Fact]
    public void ToScaleMeasuresEveryElementAgainstTheLargestExpectedMagnitude()
    {
        float[] expected = [1000f, 0f], actual = [1000f, 0.5f];
        AssertClose.ToScale(expected, actual, "g", relative: 1e-3);                      // 0.5 ≤ 1e-3·1000
        Assert.ThrowsAny<Exception>(() => AssertClose.Elementwise(expected, actual, "g", relative: 1e-3));
    }
}
