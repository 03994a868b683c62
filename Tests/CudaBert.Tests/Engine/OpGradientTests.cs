using CudaBert.Engine;

namespace CudaBert.Tests.Engine;

/// <summary>Every op's backward rule against central finite differences (see <see cref="GradientCheck"/>).</summary>
public class OpGradientTests
{
    private static Tensor R(Shape shape, ulong seed, double std = 1.0) => GradientCheck.Random(shape, seed, std);

    [Theory]
    [InlineData(new[] { 5 })]
    [InlineData(new[] { 2, 3, 4 })]
    public void AddSubMulScale(int[] dims)
    {
        using var scope = Tensor.Scope();
        Tensor a = R(dims, 1), b = R(dims, 2);
        GradientCheck.Check(x => Ops.Add(x[0], x[1]), a, b);
        GradientCheck.Check(x => Ops.Sub(x[0], x[1]), a, b);
        GradientCheck.Check(x => Ops.Mul(x[0], x[1]), a, b);
        GradientCheck.Check(x => Ops.Scale(x[0], -2.5), a);
        // The same tensor on both sides: its gradient is the sum of both paths.
        GradientCheck.Check(x => Ops.Mul(x[0], x[0]), a);
    }

    [Theory]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 5 })]
    public void AddBias(int[] dims)
    {
        using var scope = Tensor.Scope();
        GradientCheck.Check(x => Ops.AddBias(x[0], x[1]), R(dims, 3), R([dims[^1]], 4));
    }

    [Theory]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 3, 4, 5 })]
    public void GeluAndTanh(int[] dims)
    {
        using var scope = Tensor.Scope();
        var x = R(dims, 5, std: 2.0); // covers both tails and the curved middle
        GradientCheck.Check(t => Ops.Gelu(t[0]), x);
        GradientCheck.Check(t => Ops.Tanh(t[0]), x);
    }

    [Fact]
    public void SumAndMean()
    {
        using var scope = Tensor.Scope();
        var x = R([3, 4], 6);
        GradientCheck.Check(t => Ops.Sum(t[0]), x);
        GradientCheck.Check(t => Ops.Mean(t[0]), x);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BatchedMatMulWithTransposeFlags(bool transposeA, bool transposeB)
    {
        using var scope = Tensor.Scope();
        int m = 3, k = 4, n = 5;
        var a = R(transposeA ? [2, k, m] : [2, m, k], 7);
        var b = R(transposeB ? [2, n, k] : [2, k, n], 8);
        GradientCheck.Check(t => Ops.MatMul(t[0], t[1], transposeA, transposeB), a, b);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatMulWithOneSharedMatrix(bool transposeB)
    {
        using var scope = Tensor.Scope();
        var a = R([2, 3, 4], 9);
        var b = R(transposeB ? [5, 4] : [4, 5], 10);
        GradientCheck.Check(t => Ops.MatMul(t[0], t[1], transposeB: transposeB), a, b);
    }

    [Theory]
    [InlineData(new[] { 4, 3 }, true)]
    [InlineData(new[] { 2, 3, 3 }, true)]
    [InlineData(new[] { 5, 3 }, false)]
    public void Linear(int[] inputDims, bool withBias)
    {
        using var scope = Tensor.Scope();
        var x = R(inputDims, 11);
        var w = R([2, inputDims[^1]], 12);
        if (withBias) GradientCheck.Check(t => Ops.Linear(t[0], t[1], t[2]), x, w, R([2], 13));
        else GradientCheck.Check(t => Ops.Linear(t[0], t[1]), x, w);
    }

    [Fact]
    public void ScaledMaskedSoftmaxWithPaddedKeys()
    {
        using var scope = Tensor.Scope();
        var scores = R([2, 3, 4, 5], 14);
        // Batch 0 attends to all 5 keys, batch 1 to the first 3 (additive −10000 as BERT's extended mask).
        var mask = Tensor.FromArray(new double[] { 0, 0, 0, 0, 0, 0, 0, 0, -10000, -10000 }, [2, 5]);
        GradientCheck.Check(t => Ops.ScaledMaskedSoftmax(t[0], mask, 0.125), scores);
        GradientCheck.Check(t => Ops.ScaledMaskedSoftmax(t[0], null, 1.7), scores);
        GradientCheck.Check(t => Ops.Softmax(t[0]), R([3, 6], 15));
    }

    [Theory]
    [InlineData(new[] { 3, 8 }, 1e-12)]
    [InlineData(new[] { 2, 3, 5 }, 1e-5)]
    public void LayerNorm(int[] dims, double eps)
    {
        using var scope = Tensor.Scope();
        var x = R(dims, 16, std: 3.0);
        var gamma = R([dims[^1]], 17);
        var beta = R([dims[^1]], 18);
        GradientCheck.Check(t => Ops.LayerNorm(t[0], t[1], t[2], eps), x, gamma, beta);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Dropout(double p)
    {
        using var scope = Tensor.Scope();
        GradientCheck.Check(t => Ops.Dropout(t[0], p, seed: 42, offset: 8), R([4, 6], 19));
    }

    [Fact]
    public void EmbeddingWithRepeatedIds()
    {
        using var scope = Tensor.Scope();
        var weight = R([6, 4], 20);
        var ids = Tensor.FromArray(new long[] { 1, 5, 1, 0, 3, 1 }, [2, 3]);
        GradientCheck.Check(t => Ops.Embedding(ids, t[0]), weight);
        var ids32 = Tensor.FromArray(new[] { 2, 2, 4 }, [3]);
        GradientCheck.Check(t => Ops.Embedding(ids32, t[0]), weight);
    }

    [Fact]
    public void MaskedMeanPoolWithPaddingAndAnEmptyRow()
    {
        using var scope = Tensor.Scope();
        var h = R([3, 4, 5], 21);
        // Row 0 full, row 1 padded after two tokens, row 2 fully masked (denominator clamps to eps).
        var mask = Tensor.FromArray(new long[] { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 }, [3, 4]);
        GradientCheck.Check(t => Ops.MaskedMeanPool(t[0], mask), h);
    }

    [Fact]
    public void CrossEntropyWithIgnoredLabelsAndClassWeights()
    {
        using var scope = Tensor.Scope();
        var logits = R([6, 4], 22, std: 2.0);
        var targets = Tensor.FromArray(new long[] { 0, 3, -100, 1, -100, 3 }, [6]);
        var weights = Tensor.FromArray(new[] { 0.5, 2.0, 1.0, 3.0 }, [4]);
        GradientCheck.Check(t => Ops.CrossEntropy(t[0], targets), logits);
        GradientCheck.Check(t => Ops.CrossEntropy(t[0], targets, weights), logits);
        // Token classification layout: [batch, seq, classes] with int32 targets and another ignore index.
        var tokenLogits = R([2, 3, 4], 23);
        var tokenTargets = Tensor.FromArray(new[] { 1, 2, -1, 0, -1, 3 }, [2, 3]);
        GradientCheck.Check(t => Ops.CrossEntropy(t[0], tokenTargets, ignoreIndex: -1), tokenLogits);
    }

    [Fact]
    public void ShapeOps()
    {
        using var scope = Tensor.Scope();
        var x = R([2, 3, 4], 24);
        GradientCheck.Check(t => Ops.Reshape(t[0], [6, -1]), x);
        GradientCheck.Check(t => Ops.Transpose(t[0], 0, 2), x);
        GradientCheck.Check(t => Ops.Permute(t[0], 1, 2, 0), x);
        GradientCheck.Check(t => Ops.SplitHeads(t[0], 2), x);
        GradientCheck.Check(t => Ops.MergeHeads(t[0]), R([2, 2, 3, 4], 25));
    }

    [Fact]
    public void SelfAttentionBlockComposesTheRules()
    {
        // A one-layer BERT-style block: every op above in one graph, x reaching the loss by three paths.
        using var scope = Tensor.Scope();
        int batch = 2, seq = 3, hidden = 4, heads = 2;
        var x = R([batch, seq, hidden], 26);
        var wq = R([hidden, hidden], 27, 0.5);
        var wo = R([hidden, hidden], 28, 0.5);
        var gamma = R([hidden], 29);
        var beta = R([hidden], 30);
        var mask = Tensor.FromArray(new double[] { 0, 0, 0, 0, 0, -10000 }, [batch, seq]);
        GradientCheck.Check(t =>
        {
            var q = Ops.SplitHeads(Ops.Linear(t[0], t[1]), heads);
            var probs = Ops.ScaledMaskedSoftmax(Ops.MatMul(q, q, transposeB: true), mask, 1 / Math.Sqrt(hidden / heads));
            var context = Ops.MergeHeads(Ops.MatMul(probs, q));
            var output = Ops.Gelu(Ops.Linear(context, t[2]));
            return Ops.LayerNorm(Ops.Add(output, t[0]), t[3], t[4]);
        }, x, wq, wo, gamma, beta);
    }
}
