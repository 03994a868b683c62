namespace CudaBert.Tests.CudaTraining;

/// <summary>The comparison helpers themselves: a NaN anywhere must fail them, not hide behind a smaller difference.</summary>
public class ToleranceTests
{
    [Fact]
    public void CloseToScaleFailsOnANaNAfterTheFirstElement()
    {
        float[] cpu = [1f, 2f, 3f], cuda = [1.5f, float.NaN, 3f];
        var error = Assert.ThrowsAny<Exception>(() => Tolerance.CloseToScale(cpu, cuda, relative: 1, absolute: 0, "x"));
        Assert.Contains("x[1]", error.Message);
    }

    [Fact]
    public void NearFailsOnANaN() =>
        Assert.ThrowsAny<Exception>(() => Tolerance.Near(1.0, double.NaN, relative: 1, "loss"));
}
