namespace CudaBert.Engine;

// Fused ops: one primitive forward for what would otherwise be a chain of ops, and one backward rule.
// On the CPU each gives the same bits as its chain, forward and backward.
public static partial class Ops
{
    /// <summary>
    /// GELU(x·Wᵀ + b) (exact erf form), equal to <c>Gelu(Linear(x, weight, bias))</c>: x [..., in],
    /// weight [out, in], bias [out]; result [..., out]. When a gradient is wanted the pre-activation
    /// z = x·Wᵀ + b is saved for GELU's derivative (as the separate ops keep it, so no extra memory;
    /// recomputing it would cost a second GEMM in the backward).
    /// </summary>
    public static Tensor LinearGelu(Tensor x, Tensor weight, Tensor bias)
    {
        CheckLinear("linear_gelu", x, weight, bias);
        int outFeatures = weight.Shape[0];
        int[] outDims = [.. x.Shape.Dims[..^1], outFeatures];
        var y = Tensor.Empty(outDims, x.DType, x.Device);
        var z = ShouldRecord(x, weight, bias) ? Tensor.Empty(outDims, x.DType, x.Device) : null;
        y.Backend.LinearBiasGelu(x, weight, bias, z, y);
        if (z is null) return y;
        return Record(y, "linear_gelu", [x, weight, bias], dy =>
        {
            var dz = EmptyLike(z);
            dz.Backend.GeluBackward(z, dy, dz);                                                          // dz = dy·GELU′(z)
            return LinearGradients(dz, x, weight, bias);
        });
    }

    /// <summary>
    /// A GELU feed-forward block, y = GELU(x·W1ᵀ + b1)·W2ᵀ + b2, equal to <c>Linear(LinearGelu(x, w1, b1), w2, b2)</c>:
    /// x [..., in], w1 [hidden, in], b1 [hidden], w2 [out, hidden], b2 [out]; result [..., out]. One autograd node
    /// for both layers, so that the backward hands GELU's derivative to the second layer's input-gradient GEMM
    /// (<see cref="Backends.IBackend.LinearInputGradientGelu"/>: dz = (dy·W2) ⊙ GELU′(z), on CUDA one GEMM whose
    /// epilogue multiplies by GELU′(z), so dh = dy·W2 never reaches memory). The forward runs the two ops' primitives
    /// and saves x and z = x·W1ᵀ + b1; the backward recomputes h = GELU(z) for dW2 = dyᵀ·h instead of keeping it, which
    /// saves a [..., hidden] tensor per block between the forward and the backward for one element-wise pass.
    /// </summary>
    public static Tensor LinearGeluLinear(Tensor x, Tensor w1, Tensor b1, Tensor w2, Tensor b2)
    {
        const string op = "linear_gelu_linear";
        CheckLinear(op, x, w1, b1);
        CheckSecondLinear(op, w1, w2, b2);
        int rows = (int)x.Shape.Rows, hidden = w1.Shape[0], outFeatures = w2.Shape[0];
        int[] hiddenDims = [.. x.Shape.Dims[..^1], hidden], outDims = [.. x.Shape.Dims[..^1], outFeatures];
        var z = ShouldRecord(x, w1, b1, w2, b2) ? Tensor.Empty(hiddenDims, x.DType, x.Device) : null;
        var h = Tensor.Empty(hiddenDims, x.DType, x.Device);
        h.Backend.LinearBiasGelu(x, w1, b1, z, h);                                                            // h = GELU(x·W1ᵀ + b1)
        var y = Tensor.Empty(outDims, x.DType, x.Device);
        y.Backend.Gemm(false, true, 1, rows, outFeatures, hidden, 1, h, w2, 0, y);                             // y = h·W2ᵀ + b2
        y.Backend.AddBias(y, b2, y);
        h.Dispose();   // not kept for the backward: it recomputes h from z (see below)
        if (z is null) return y;
        return Record(y, op, [x, w1, b1, w2, b2], dy =>
        {
            Tensor? dw2 = null;
            if (w2.RequiresGrad)
            {
                // h again: the GELU kernel on the saved z gives the forward's h bit for bit (with z wanted, the forward
                // ran that same kernel on z), for one element-wise pass instead of [rows, hidden] floats kept alive
                // from the forward to here.
                using var recomputed = EmptyLike(z);
                recomputed.Backend.Gelu(z, recomputed);
                dw2 = EmptyLike(w2);
                dw2.Backend.Gemm(true, false, 1, outFeatures, hidden, rows, 1, dy, recomputed, 0, dw2);       // dW2 = dyᵀ·h
            }
            var db2 = b2.RequiresGrad ? SumRowsOf(dy) : null;                                                   // db2 = Σ_rows dy
            Tensor?[] first = [null, null, null];
            if (x.RequiresGrad || w1.RequiresGrad || b1.RequiresGrad)
            {
                var dz = EmptyLike(z);
                dz.Backend.LinearInputGradientGelu(dy, w2, z, dz);                                             // dz = (dy·W2) ⊙ GELU′(z)
                first = LinearGradients(dz, x, w1, b1);
            }
            return [first[0], first[1], first[2], dw2, db2];
        });
    }

    /// <summary>The argument checks of a feed-forward block's second layer: w2 [out, hidden] after w1 [hidden, in], b2 [out].</summary>
    private static void CheckSecondLinear(string op, Tensor w1, Tensor w2, Tensor b2)
    {
        CheckCompatible(op, w1, w2, "w2");
        CheckCompatible(op, w1, b2, "b2");
        int hidden = w1.Shape[0];
        if (w2.Rank != 2 || w2.Shape[1] != hidden)
            throw new ArgumentException($"{op}: w2 {w2.Shape} does not map the {hidden} features of w1 {w1.Shape} (expected [out, {hidden}])");
        if (b2.Rank != 1 || b2.Shape[0] != w2.Shape[0])
            throw new ArgumentException($"{op}: b2 {b2.Shape} does not match w2 {w2.Shape} (expected [{w2.Shape[0]}])");
    }

    /// <summary>
    /// LayerNorm(dropout(x) + residual) over the last axis, equal to <c>LayerNorm(Dropout(x, p, seed, offset) + residual,
    /// weight, bias, eps)</c>; p = 0 means no dropout. x and residual have the same shape; weight and bias are
    /// [x.Shape.Last]. The sum is saved for the layer norm's backward; the dropout mask is regenerated from
    /// (seed, offset), never stored. Callers advance <paramref name="offset"/> as for <see cref="Dropout"/>.
    /// </summary>
    public static Tensor DropoutResidualLayerNorm(Tensor x, double p, ulong seed, ulong offset, Tensor residual, Tensor weight, Tensor bias, double eps = 1e-12)
    {
        CheckSameShape("dropout_residual_layer_norm", x, residual);
        CheckCompatible("dropout_residual_layer_norm", x, weight, "weight");
        CheckCompatible("dropout_residual_layer_norm", x, bias, "bias");
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        int n = x.Shape.Last;
        if (weight.Shape != new Shape(n) || bias.Shape != new Shape(n))
            throw new ArgumentException($"dropout_residual_layer_norm: weight {weight.Shape} and bias {bias.Shape} must be [{n}] for input {x.Shape}");
        var y = EmptyLike(x);
        var sum = EmptyLike(x);
        var mean = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        var rstd = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        y.Backend.DropoutResidualLayerNorm(x, p, seed, offset, residual, weight, bias, eps, sum, y, mean, rstd);
        return Record(y, "dropout_residual_layer_norm", [x, residual, weight, bias], dy =>
        {
            var dsum = EmptyLike(sum);
            var dweight = EmptyLike(weight);
            var dbias = EmptyLike(bias);
            dsum.Backend.LayerNormBackward(dy, sum, weight, mean, rstd, dsum, dweight, dbias);
            Tensor? dx = null;
            if (x.RequiresGrad)
            {
                dx = dsum;
                if (p > 0) { dx = EmptyLike(dsum); dx.Backend.Dropout(dsum, p, seed, offset, dx); }   // the same mask: dx = dropout(dsum)
            }
            return [dx, dsum, dweight, dbias];
        });
    }
}
