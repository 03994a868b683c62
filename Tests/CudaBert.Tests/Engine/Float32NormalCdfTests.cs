using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>
/// The float32 normal CDF and density behind the CPU's float32 GELU, against the double-precision
/// <see cref="Erf"/> (itself checked against Python's <c>math.erf</c> in <see cref="OpForwardTests"/>).
/// The bounds are about one float32 ulp of Φ near 1, and what rounding x²/2 to float32 costs e^(−x²/2).
/// </summary>
public class Float32NormalCdfTests
{
    // Printed by CPython 3: repr(math.erfc(x)). The bound is the continued fraction's truncation at
    // x = 2, where it converges slowest (5e-14 there; the fitted float32 tail needs far less).
    [Theory]
    [InlineData(0.5, 0.4795001221869535)]
    [InlineData(1.0, 0.15729920705028513)]
    [InlineData(2.0, 0.004677734981047265)]
    [InlineData(3.0, 2.2090496998585438e-05)]
    [InlineData(4.5, 1.9661604415428873e-10)]
    [InlineData(6.0, 2.1519736712498916e-17)]
    [InlineData(10.0, 2.088487583762545e-45)]
    public void ErfComplementMatchesPythonRelativelyInTheTail(double x, double expected) =>
        AssertClose.Scalar(expected, Erf.Complement(x), $"erfc({x}) (expected: Python's)", relative: 1e-13);

    /// <summary>Φ(x) in double without cancellation: ½·erfc(|x|/√2) below 0, one minus that above.</summary>
    private static double Phi(double x)
    {
        double tail = 0.5 * Erf.Complement(Math.Abs(x) / Math.Sqrt(2));
        return x < 0 ? tail : 1 - tail;
    }

    [Fact]
    public void CdfIsWithinAboutAnUlpOfTheDoublePrecisionCdf()
    {
        for (int i = -14_000; i <= 14_000; i++)
        {
            float x = i * 1e-3f;
            double error = Math.Abs(Float32NormalCdf.Cdf(x) - Phi(x));
            Assert.True(error <= 7e-8, $"Φ({x:R}): ours {Float32NormalCdf.Cdf(x):R}, reference {Phi(x):R}");
            // Left tail inside the fitted range (|x/√2| ≤ 4.5): relative accuracy, not just absolute.
            if (x < -1.5f && x > -6.3f)
                Assert.True(error <= 5e-6 * Phi(x), $"Φ({x:R}) relative: ours {Float32NormalCdf.Cdf(x):R}, reference {Phi(x):R}");
        }
    }

    [Fact]
    public void CdfOfExtremesAndNaN()
    {
        Assert.Equal(1f, Float32NormalCdf.Cdf(float.PositiveInfinity));
        Assert.Equal(0f, Float32NormalCdf.Cdf(float.NegativeInfinity));
        Assert.Equal(1f, Float32NormalCdf.Cdf(40f));
        Assert.Equal(0f, Float32NormalCdf.Cdf(-40f));
        Assert.Equal(0.5f, Float32NormalCdf.Cdf(0f));
        Assert.True(float.IsNaN(Float32NormalCdf.Cdf(float.NaN)));
    }

    [Fact]
    public void DensityIsRelativelyAccurate()
    {
        // Up to |x| = 13: φ(13) ≈ 2e-37 is still a normal float32 (beyond, denormals lose relative precision).
        for (int i = -13_000; i <= 13_000; i++)
        {
            float x = i * 1e-3f;
            double expected = Math.Exp(-0.5 * x * (double)x) / Math.Sqrt(2 * Math.PI);
            AssertClose.Scalar(expected, Float32NormalCdf.Density(x), $"φ({x:R})", relative: 5e-6);
        }
    }

    [Fact]
    public void Float32GeluAndItsBackwardMatchTheDoublePrecisionFormulas()
    {
        // A length that leaves a remainder after the eight-lane blocks of every chunk.
        using var scope = Tensor.Scope();
        var x = Tensor.Normal([301, 131], new Generator(5), 0, 3, DType.Float32);
        var dy = Tensor.Normal([301, 131], new Generator(6), 0, 1, DType.Float32);
        x.RequiresGrad = true;
        var y = Ops.Gelu(x);
        Ops.Sum(Ops.Mul(y, dy)).Backward();
        float[] xs = x.ToArray<float>(), ys = y.ToArray<float>(), dys = dy.ToArray<float>(), dxs = x.Grad!.ToArray<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            double v = xs[i], density = Math.Exp(-0.5 * v * v) / Math.Sqrt(2 * Math.PI);
            AssertClose.Scalar(v * Phi(v), ys[i], $"GELU({v:R})", absolute: 1e-7 * Math.Abs(v));
            double derivative = Phi(v) + v * density;
            AssertClose.Scalar(dys[i] * derivative, dxs[i], $"GELU'({v:R})·{dys[i]:R}", absolute: 2e-7 * Math.Abs(dys[i]) * (1 + Math.Abs(v)));
        }
    }
}
