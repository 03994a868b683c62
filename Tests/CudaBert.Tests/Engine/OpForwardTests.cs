using CudaBert.Engine;
using CudaBert.Engine.Cpu;

namespace CudaBert.Tests.Engine;

/// <summary>
/// Forward values against independent references: Python's <c>math.erf</c> for the error function,
/// and naive loops written from the definitions for the others. (PyTorch fixtures come separately.)
/// </summary>
public class OpForwardTests
{
    // Printed by CPython 3: [repr(math.erf(x)) for x in (...)].
    [Theory]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(1.9999, 0.9953201979070294)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(2.0001, 0.9953243313041966)]
    [InlineData(0.3, 0.3286267594591274)]
    [InlineData(2.4999, 0.9995928300996666)]
    [InlineData(2.5001, 0.9995932657565293)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(0.01, 0.011283415555849616)]
    [InlineData(4.0, 0.9999999845827421)]
    public void ErfMatchesCPython(double x, double expected) =>
        AssertClose.Scalar(expected, Erf.Evaluate(x), "Erf.Evaluate(x)", absolute: 1e-15);

    [Fact]
    public void VectorErfAgreesWithScalarErf()
    {
        for (double x = -7; x <= 7; x += 0.0137)
        {
            var lanes = Erf.Evaluate(System.Runtime.Intrinsics.Vector256.Create(x, -x, x * 0.5, x + 2));
            AssertClose.Scalar(Erf.Evaluate(x), lanes[0], "lanes[0]", absolute: 2e-15);
            AssertClose.Scalar(Erf.Evaluate(-x), lanes[1], "lanes[1]", absolute: 2e-15);
            AssertClose.Scalar(Erf.Evaluate(x * 0.5), lanes[2], "lanes[2]", absolute: 2e-15);
            AssertClose.Scalar(Erf.Evaluate(x + 2), lanes[3], "lanes[3]", absolute: 2e-15);
        }
    }

    [Fact]
    public void GeluIsXTimesNormalCdf()
    {
        // 9 values: two 4-wide SIMD blocks and a scalar remainder.
        using var scope = Tensor.Scope();
        double[] x = [-6, -1.5, -0.01, 0, 0.5, 1, 2, 3.25, 9];
        var y = Ops.Gelu(Tensor.FromArray(x, [9])).ToArray<double>();
        var y32 = Ops.Gelu(Tensor.FromArray(Array.ConvertAll(x, v => (float)v), [9])).ToArray<float>();
        for (int i = 0; i < x.Length; i++)
        {
            double expected = x[i] * 0.5 * (1 + Erf.Evaluate(x[i] / Math.Sqrt(2)));
            AssertClose.Scalar(expected, y[i], $"y[{i}]", absolute: 1e-15);
            AssertClose.Scalar(expected, y32[i], $"float32 GELU({x[i]})", absolute: 1e-7 * Math.Abs(x[i]));   // see Float32NormalCdfTests
        }
    }

    [Fact]
    public void MaskedSoftmaxGivesPaddedKeysNoWeight()
    {
        using var scope = Tensor.Scope();
        var scores = Tensor.FromArray(new float[] { 1, 2, 3, 4, 1, 2, 3, 4 }, [2, 1, 1, 4]);
        var mask = Tensor.FromArray(new float[] { 0, 0, 0, 0, 0, 0, float.MinValue, float.MinValue }, [2, 4]);
        var p = Ops.ScaledMaskedSoftmax(scores, mask, 0.5).ToArray<float>();
        double z = Math.Exp(0.5) + Math.Exp(1) + Math.Exp(1.5) + Math.Exp(2);
        AssertClose.Scalar(Math.Exp(0.5) / z, p[0], "p[0]", absolute: 1e-6);
        AssertClose.Scalar(Math.Exp(2) / z, p[3], "p[3]", absolute: 1e-6);
        AssertClose.Scalar(Math.Exp(0.5) / (Math.Exp(0.5) + Math.Exp(1)), p[4], "p[4]", absolute: 1e-6);
        Assert.Equal(0f, p[6]);
        Assert.Equal(0f, p[7]);
    }

    [Fact]
    public void LayerNormNormalisesEachRow()
    {
        using var scope = Tensor.Scope();
        double[] x = [1, 2, 3, 10, -4, 0.5];
        var y = Ops.LayerNorm(Tensor.FromArray(x, [2, 3]), Tensor.FromArray(new[] { 2.0, 1, 0.5 }, [3]), Tensor.FromArray(new[] { 0.0, 1, -1 }, [3]), 1e-5).ToArray<double>();
        for (int r = 0; r < 2; r++)
        {
            double mean = (x[3 * r] + x[3 * r + 1] + x[3 * r + 2]) / 3;
            double variance = Enumerable.Range(0, 3).Sum(j => (x[3 * r + j] - mean) * (x[3 * r + j] - mean)) / 3;
            double[] gamma = [2, 1, 0.5], beta = [0, 1, -1];
            for (int j = 0; j < 3; j++)
                AssertClose.Scalar((x[3 * r + j] - mean) / Math.Sqrt(variance + 1e-5) * gamma[j] + beta[j], y[3 * r + j], $"y[{3 * r + j}]", absolute: 1e-14);
        }
    }

    [Fact]
    public void CrossEntropyIsTheWeightedMeanOverKeptRows()
    {
        using var scope = Tensor.Scope();
        double[] logits = [1, 2, 0.5, -1, 0, 3, 2, 2, 2];
        long[] targets = [1, -100, 0];
        double[] weights = [0.2, 3, 1];
        double Nll(int row, long t) => Math.Log(Enumerable.Range(0, 3).Sum(j => Math.Exp(logits[3 * row + j]))) - logits[3 * row + t];
        var l = Tensor.FromArray(logits, [3, 3]);
        var t = Tensor.FromArray(targets, [3]);
        AssertClose.Scalar((Nll(0, 1) + Nll(2, 0)) / 2, Ops.CrossEntropy(l, t).Item(), "Ops.CrossEntropy(l, t).Item()", absolute: 1e-14);
        AssertClose.Scalar((3 * Nll(0, 1) + 0.2 * Nll(2, 0)) / 3.2, Ops.CrossEntropy(l, t, Tensor.FromArray(weights, [3])).Item(), "Ops.CrossEntropy(l, t, Tensor.FromArray(weights, [3])).Item()", absolute: 1e-14);
        Assert.True(double.IsNaN(Ops.CrossEntropy(l, Tensor.FromArray(new long[] { -100, -100, -100 }, [3])).Item()));
        var e = Assert.Throws<IndexOutOfRangeException>(() => Ops.CrossEntropy(l, Tensor.FromArray(new long[] { 0, 3, 0 }, [3])));
        Assert.Contains("row 1", e.Message);
    }

    [Fact]
    public void MaskedMeanPoolAveragesKeptTokens()
    {
        using var scope = Tensor.Scope();
        var h = Tensor.FromArray(new float[] { 1, 10, 2, 20, 100, 1000, 5, 6, 7, 8, 9, 9 }, [2, 3, 2]);
        var mask = Tensor.FromArray(new long[] { 1, 1, 0, 0, 0, 0 }, [2, 3]);
        // Row 0: mean of tokens 0 and 1; row 1: nothing kept, 0 / max(0, 1e-9) = 0.
        Assert.Equal(new float[] { 1.5f, 15f, 0, 0 }, Ops.MaskedMeanPool(h, mask).ToArray<float>());
    }

    [Fact]
    public void EmbeddingGathersRowsAndRejectsBadIds()
    {
        using var scope = Tensor.Scope();
        var table = Tensor.FromArray(new float[] { 0, 1, 10, 11, 20, 21 }, [3, 2]);
        Assert.Equal(new float[] { 20, 21, 0, 1, 20, 21 }, Ops.Embedding(Tensor.FromArray(new[] { 2, 0, 2 }, [3]), table).ToArray<float>());
        var e = Assert.Throws<IndexOutOfRangeException>(() => Ops.Embedding(Tensor.FromArray(new long[] { 0, 3 }, [2]), table));
        Assert.Contains("id 3", e.Message);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMulMatchesNaiveProduct(bool transposeA, bool transposeB)
    {
        using var scope = Tensor.Scope();
        int batch = 2, m = 3, k = 4, n = 5;
        var a = Tensor.Normal(transposeA ? [batch, k, m] : [batch, m, k], new CudaBert.Engine.Random.Generator(1), dtype: DType.Float64);
        var b = Tensor.Normal(transposeB ? [batch, n, k] : [batch, k, n], new CudaBert.Engine.Random.Generator(2), dtype: DType.Float64);
        var av = a.ToArray<double>();
        var bv = b.ToArray<double>();
        var c = Ops.MatMul(a, b, transposeA, transposeB).ToArray<double>();
        for (int s = 0; s < batch; s++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double sum = 0;
                    for (int p = 0; p < k; p++)
                        sum += av[s * m * k + (transposeA ? p * m + i : i * k + p)] * bv[s * k * n + (transposeB ? j * k + p : p * n + j)];
                    AssertClose.Scalar(sum, c[(s * m + i) * n + j], $"c[{(s * m + i) * n + j}]", absolute: 1e-13);
                }
        // float32 through CpuGemm agrees with the float64 path.
        var c32 = Ops.MatMul(a.To(DType.Float32), b.To(DType.Float32), transposeA, transposeB).ToArray<float>();
        for (int i = 0; i < c.Length; i++) AssertClose.Scalar(c[i], c32[i], $"c32[{i}]", absolute: 1e-5);
    }
}
