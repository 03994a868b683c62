using CudaBert.Engine;
using CudaBert.Engine.Random;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Engine;

/// <summary>
/// <see cref="Ops.FusedAttention"/> on the CPU: its backward against finite differences (float64), and in
/// float32 equal to the separate ops it replaces (split heads, Q·Kᵀ, scaled masked softmax, dropout, ·V,
/// merge heads) up to a rounding bound derived in <see cref="AttentionRoundingBound"/>.
/// </summary>
public class FusedAttentionTests
{
    const ulong Seed = 0x5eed_a77e, Offset = 6;

    /// <summary>Additive key mask [batch, keys]: batch element 1 has its last two keys padded (the dtype's lowest value, as the model's).</summary>
    internal static Tensor PaddingMask(int batch, int keys, DType dtype)
    {
        var values = new double[batch * keys];
        for (int j = keys - 2; j < keys; j++) values[keys + j] = dtype == DType.Float32 ? float.MinValue : double.MinValue;
        return Tensor.FromArray(values, [batch, keys]).To(dtype);
    }

    [Theory]
    [InlineData(0.0, 5)]
    [InlineData(0.3, 5)]
    [InlineData(0.3, 7)]    // more keys than queries
    public void GradientsMatchFiniteDifferences(double p, int keys)
    {
        using var scope = Tensor.Scope();
        const int batch = 2, queries = 5, heads = 2, headSize = 3;
        var mask = PaddingMask(batch, keys, DType.Float64);
        GradientCheck.Check(t => Ops.FusedAttention(t[0], t[1], t[2], mask, heads, 0.6, p, Seed, Offset),
            GradientCheck.Random([batch, queries, heads * headSize], 80), GradientCheck.Random([batch, keys, heads * headSize], 81),
            GradientCheck.Random([batch, keys, heads * headSize], 82));
    }

    [Fact]
    public void DropoutOfOneGivesZeroOutputAndGradients()
    {
        using var scope = Tensor.Scope();
        var (q, k, v) = (Float32([2, 3, 8], 83), Float32([2, 4, 8], 84), Float32([2, 4, 8], 85));
        var y = Ops.FusedAttention(q, k, v, null, 2, 0.5, 1.0, Seed, Offset);
        Ops.Sum(y).Backward();
        foreach (var (what, values) in new[] { ("output", y), ("dq", q.Grad!), ("dk", k.Grad!), ("dv", v.Grad!) })
            Assert.All(values.ToArray<float>(), value => Assert.Equal(0f, value));
    }

    // Scores of 13 keys (no multiple of the vector width), 3 heads of 8.
    [Theory]
    [InlineData(0.0, true)]
    [InlineData(0.1, true)]
    [InlineData(0.1, false)]
    public void EqualsTheSeparateOpsUpToRounding(double p, bool masked)
    {
        using var scope = Tensor.Scope();
        const int batch = 2, seq = 13, heads = 3, headSize = 8;
        double scale = 1 / Math.Sqrt(headSize);
        var mask = masked ? PaddingMask(batch, seq, DType.Float32) : null;
        var (q, k, v, dy) = (Float32([batch, seq, heads * headSize], 86), Float32([batch, seq, heads * headSize], 87),
            Float32([batch, seq, heads * headSize], 88), Float32([batch, seq, heads * headSize], 89));

        var (fused, fusedGrads) = ForwardBackward(() => Ops.FusedAttention(q, k, v, mask, heads, scale, p, Seed, Offset), dy, q, k, v);
        var (separate, separateGrads) = ForwardBackward(() =>
        {
            var scores = Ops.MatMul(Ops.SplitHeads(q, heads), Ops.SplitHeads(k, heads), transposeB: true);
            var probs = Ops.Dropout(Ops.ScaledMaskedSoftmax(scores, mask, scale), p, Seed, Offset);
            return Ops.MergeHeads(Ops.MatMul(probs, Ops.SplitHeads(v, heads)));
        }, dy, q, k, v);

        var bound = new AttentionRoundingBound(q, k, v, mask, dy, heads, scale, p, Seed, Offset);
        bound.AssertWithin(separate, fused, bound.Output, "output");
        bound.AssertWithin(separateGrads[0], fusedGrads[0], bound.Dq, "dq");
        bound.AssertWithin(separateGrads[1], fusedGrads[1], bound.Dk, "dk");
        bound.AssertWithin(separateGrads[2], fusedGrads[2], bound.Dv, "dv");
    }

    [Fact]
    public void ShapesThatDoNotFitAreRefused()
    {
        using var scope = Tensor.Scope();
        var (q, k) = (Tensor.Zeros([2, 3, 8]), Tensor.Zeros([2, 4, 8]));
        var error = Assert.Throws<ArgumentException>(() => Ops.FusedAttention(q, k, Tensor.Zeros([2, 5, 8]), null, 2, 1.0));
        Assert.Contains("v [2, 5, 8]", error.Message);
        error = Assert.Throws<ArgumentException>(() => Ops.FusedAttention(q, k, k, null, 3, 1.0));
        Assert.Contains("3 heads", error.Message);
        error = Assert.Throws<ArgumentException>(() => Ops.FusedAttention(q, k, k, Tensor.Zeros([2, 3]), 2, 1.0));
        Assert.Contains("mask [2, 3] must be [batch, keys] = [2, 4]", error.Message);
        error = Assert.Throws<ArgumentException>(() => Ops.FusedAttention(q, Tensor.Zeros([2, 0, 8]), Tensor.Zeros([2, 0, 8]), null, 2, 1.0));
        Assert.Contains("k [2, 0, 8] has no keys", error.Message);
    }

    internal static Tensor Float32(Shape shape, ulong seed)
    {
        var t = Tensor.Normal(shape, new Generator(seed));
        t.RequiresGrad = true;
        return t;
    }

    internal static (float[] Output, float[][] Gradients) ForwardBackward(Func<Tensor> f, Tensor dy, params Tensor[] inputs)
    {
        foreach (var input in inputs) input.ZeroGrad();
        var y = f();
        Ops.Sum(Ops.Mul(y, dy.Detach())).Backward();
        return (y.ToArray<float>(), inputs.Select(input => input.Grad!.ToArray<float>()).ToArray());
    }
}

/// <summary>
/// How far two float32 computations of attention and its gradients may be apart, element by element.
/// Each is within K·u·M of the exact value (u = 2⁻²⁴), where M is the element's formula evaluated with
/// the absolute value of every factor and K counts the roundings along its longest chain:
/// <list type="bullet">
/// <item>a score z_ij = scale·q_i·k_j (+ mask) is a dot product of d terms and a scaling: its error is at most
/// (d + 2)·u·Z with Z = max_ij scale·Σ_c |q_ic·k_jc|, and e^z carries it on as a relative error;</item>
/// <item>the softmax (max subtraction, exp, a sum of Sk terms, the division) adds (Sk + 4)·u relative error to P;</item>
/// <item>the output and the gradients are sums of Sk (or Sq) products, and dP and D = dO·O dot products of d terms.</item>
/// </list>
/// So K = 2(d + 2)·Z + 2Sk + 2Sq + 2d + 8 covers every element, and two computations differ by at most 2·K·u·M.
/// M uses the exact (float64) probabilities P and dropout factors m; for the gradients it bounds |dP_ij − D_i| by
/// m_ij·Σ_c |dO_ic·v_jc| + Σ_c |dO_ic|·M(O)_ic.
/// <para>
/// Tensor-core kernels round each product's operands to a shorter mantissa (unit roundoff u' = 2⁻¹¹ for TF32,
/// 2⁻⁸ for bf16) before an fp32 accumulation, which adds K'·u'·M with K' = 4Z + 6 (<see cref="OperandSteps"/>):
/// a score's two rounded operands move it by ≤ 2Z·u'; P = e^(z − lse) with lse = log Σ e^z carries that twice
/// (its own score and the normaliser, whether lse is computed or recomputed from the forward's), 4Z·u' relative;
/// the second product of each chain (P·V, dS·K, dSᵀ·Q, (m⊙P)ᵀ·dO, and dO·Vᵀ inside dS) rounds two more
/// operands, 2u' each, and D = dO·O inherits O's 4Z + 2: at most 4Z + 6 along any chain.
/// </para>
/// </summary>
internal sealed class AttentionRoundingBound
{
    public double[] Output { get; }
    public double[] Dq { get; }
    public double[] Dk { get; }
    public double[] Dv { get; }
    /// <summary>K, the roundings counted along the longest chain.</summary>
    public double RoundingSteps { get; }
    /// <summary>K' = 4Z + 6, the operand roundings of a tensor-core kernel along the longest chain (each of unit <see cref="OperandUnit"/>).</summary>
    public double OperandSteps { get; }
    /// <summary>u', the unit roundoff of a tensor-core kernel's operands (0: float32 operands).</summary>
    public double OperandUnit { get; }
    /// <summary>Z = max_ij scale·Σ_c |q_ic·k_jc|.</summary>
    public double ScoreMagnitude { get; }

    public AttentionRoundingBound(Tensor q, Tensor kt, Tensor v, Tensor? mask, Tensor dy, int heads, double scale, double p, ulong seed, ulong offset,
        double operandUnit = 0)
    {
        int batch = q.Shape[0], sq = q.Shape[1], sk = kt.Shape[1], width = q.Shape[2], d = width / heads;
        float[] qs = q.ToArray<float>(), ks = kt.ToArray<float>(), vs = v.ToArray<float>(), dos = dy.ToArray<float>();
        float[]? masks = mask?.ToArray<float>();
        float[] factors;
        using (var ones = Tensor.Ones([batch, heads, sq, sk]))
        using (var dropped = Ops.Dropout(ones, p, seed, offset)) factors = dropped.ToArray<float>();
        Output = new double[qs.Length]; Dq = new double[qs.Length]; Dk = new double[ks.Length]; Dv = new double[vs.Length];
        double zMax = 0;
        for (int b = 0; b < batch; b++)
            for (int h = 0; h < heads; h++)
            {
                int Q(int i) => (b * sq + i) * width + h * d;
                int K(int j) => (b * sk + j) * width + h * d;
                var probs = new double[sq, sk];
                for (int i = 0; i < sq; i++)
                {
                    var z = new double[sk];
                    for (int j = 0; j < sk; j++)
                    {
                        double dot = 0, magnitude = 0;
                        for (int c = 0; c < d; c++) { dot += (double)qs[Q(i) + c] * ks[K(j) + c]; magnitude += Math.Abs((double)qs[Q(i) + c] * ks[K(j) + c]); }
                        z[j] = scale * dot + (masks?[b * sk + j] ?? 0);
                        zMax = Math.Max(zMax, scale * magnitude);
                    }
                    double max = z.Max(), sum = z.Sum(x => Math.Exp(x - max));
                    for (int j = 0; j < sk; j++) probs[i, j] = Math.Exp(z[j] - max) / sum;
                }
                double Factor(int i, int j) => factors[((b * heads + h) * sq + i) * sk + j];
                double DpMagnitude(int i, int j)
                {
                    double m = 0;
                    for (int c = 0; c < d; c++) m += Math.Abs((double)dos[Q(i) + c] * vs[K(j) + c]);
                    return Factor(i, j) * m;
                }
                var dMagnitude = new double[sq];
                for (int i = 0; i < sq; i++)
                    for (int c = 0; c < d; c++)
                    {
                        for (int j = 0; j < sk; j++) Output[Q(i) + c] += probs[i, j] * Factor(i, j) * Math.Abs(vs[K(j) + c]);
                        dMagnitude[i] += Math.Abs(dos[Q(i) + c]) * Output[Q(i) + c];
                    }
                for (int i = 0; i < sq; i++)
                    for (int j = 0; j < sk; j++)
                    {
                        double ds = scale * probs[i, j] * (DpMagnitude(i, j) + dMagnitude[i]);
                        for (int c = 0; c < d; c++)
                        {
                            Dv[K(j) + c] += probs[i, j] * Factor(i, j) * Math.Abs(dos[Q(i) + c]);
                            Dq[Q(i) + c] += ds * Math.Abs(ks[K(j) + c]);
                            Dk[K(j) + c] += ds * Math.Abs(qs[Q(i) + c]);
                        }
                    }
            }
        RoundingSteps = 2 * (d + 2) * zMax + 2 * sk + 2 * sq + 2 * d + 8;
        ScoreMagnitude = zMax;
        OperandUnit = operandUnit;
        OperandSteps = 4 * zMax + 6;
    }

    /// <summary>|expected_i − actual_i| ≤ (2·K·u + K'·u')·magnitude_i for every element.</summary>
    public void AssertWithin(float[] expected, float[] actual, double[] magnitude, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs((double)expected[i] - actual[i]),
                bound = (2 * RoundingSteps * TestInputs.U + OperandSteps * OperandUnit) * magnitude[i];
            Assert.True(error <= bound, $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}, error {error:G3} > bound {bound:G3}");
        }
    }
}
