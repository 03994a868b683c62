namespace CudaBert.Engine;

// Layer normalisation and dropout.
public static partial class Ops
{
    /// <summary>
    /// <c>torch.nn.functional.layer_norm</c> over the last axis: (x − mean)/√(var + eps)·weight + bias,
    /// with the biased variance. weight and bias are [x.Shape.Last].
    /// </summary>
    public static Tensor LayerNorm(Tensor x, Tensor weight, Tensor bias, double eps = 1e-12)
    {
        CheckFloat("layer_norm", x, "input");
        CheckCompatible("layer_norm", x, weight, "weight");
        CheckCompatible("layer_norm", x, bias, "bias");
        int n = x.Shape.Last;
        if (weight.Shape != new Shape(n) || bias.Shape != new Shape(n))
            throw new ArgumentException($"layer_norm: weight {weight.Shape} and bias {bias.Shape} must be [{n}] for input {x.Shape}");
        var y = EmptyLike(x);
        // Per-row statistics, saved for the backward pass.
        var mean = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        var rstd = Tensor.Empty([(int)x.Shape.Rows], x.DType, x.Device);
        y.Backend.LayerNorm(x, weight, bias, eps, y, mean, rstd);
        return Record(y, "layer_norm", [x, weight, bias], dy =>
        {
            var dx = EmptyLike(x);
            var dweight = EmptyLike(weight);
            var dbias = EmptyLike(bias);
            dx.Backend.LayerNormBackward(dy, x, weight, mean, rstd, dx, dweight, dbias);
            return [dx, dweight, dbias];
        });
    }

    /// <summary>
    /// Inverted dropout: zeroes each element with probability <paramref name="p"/> and scales the rest
    /// by 1/(1 − p). The mask is a pure function of (<paramref name="seed"/>, <paramref name="offset"/> + index)
    /// through Philox4x32-10, so the backward pass (and a GPU kernel) regenerates it instead of storing it.
    /// Callers advance <paramref name="offset"/> by at least the element count between calls.
    /// </summary>
    public static Tensor Dropout(Tensor x, double p, ulong seed, ulong offset)
    {
        CheckFloat("dropout", x, "input");
        if (p is < 0 or > 1 || double.IsNaN(p)) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1]");
        var y = EmptyLike(x);
        y.Backend.Dropout(x, p, seed, offset, y);
        // y = x·keep/(1 − p) is linear in x with the same mask: dx = dropout(dy) with the same (seed, offset).
        return Record(y, "dropout", [x], dy =>
        {
            var dx = EmptyLike(dy);
            dx.Backend.Dropout(dy, p, seed, offset, dx);
            return [dx];
        });
    }
}
