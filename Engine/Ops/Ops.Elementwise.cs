namespace CudaBert.Engine;

// Element-wise ops: arithmetic, bias, activations.
public static partial class Ops
{
    /// <summary>a + b (same shapes). Also the residual connection.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        CheckSameShape("add", a, b);
        var y = EmptyLike(a);
        y.Backend.Add(a, b, y);
        return Record(y, "add", [a, b], dy => [dy, dy]);
    }

    /// <summary>a − b (same shapes).</summary>
    public static Tensor Sub(Tensor a, Tensor b)
    {
        CheckSameShape("sub", a, b);
        var y = EmptyLike(a);
        y.Backend.Sub(a, b, y);
        return Record(y, "sub", [a, b], dy => [dy, Scale(dy, -1)]);
    }

    /// <summary>a ⊙ b (same shapes).</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        CheckSameShape("mul", a, b);
        var y = EmptyLike(a);
        y.Backend.Mul(a, b, y);
        return Record(y, "mul", [a, b], dy => [Mul(dy, b), Mul(dy, a)]);
    }

    /// <summary>α·x.</summary>
    public static Tensor Scale(Tensor x, double alpha)
    {
        CheckFloat("scale", x, "input");
        var y = EmptyLike(x);
        y.Backend.Scale(x, alpha, y);
        return Record(y, "scale", [x], dy => [Scale(dy, alpha)]);
    }

    /// <summary>x + bias, the bias [N] broadcast over every row of x [..., N].</summary>
    public static Tensor AddBias(Tensor x, Tensor bias)
    {
        CheckFloat("add_bias", x, "input");
        CheckCompatible("add_bias", x, bias, "bias");
        if (bias.Rank != 1 || bias.Shape[0] != x.Shape.Last)
            throw new ArgumentException($"add_bias: bias {bias.Shape} does not match the last axis of {x.Shape}");
        var y = EmptyLike(x);
        y.Backend.AddBias(x, bias, y);
        return Record(y, "add_bias", [x, bias], dy => [dy, SumRowsOf(dy)]);
    }

    /// <summary>Σ over all axes but the last (the gradient of a broadcast bias).</summary>
    private static Tensor SumRowsOf(Tensor dy)
    {
        var sums = Tensor.Empty([dy.Shape.Last], dy.DType, dy.Device);
        dy.Backend.SumRows(dy, sums);
        return sums;
    }

    /// <summary>GELU with the exact erf (as BERT and <c>torch.nn.functional.gelu</c>): x·Φ(x).</summary>
    public static Tensor Gelu(Tensor x)
    {
        CheckFloat("gelu", x, "input");
        var y = EmptyLike(x);
        y.Backend.Gelu(x, y);
        return Record(y, "gelu", [x], dy =>
        {
            var dx = EmptyLike(x);
            dx.Backend.GeluBackward(x, dy, dx);
            return [dx];
        });
    }

    /// <summary>
    /// GELU's tanh approximation, ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): Hugging Face's
    /// <c>gelu_new</c> and <c>gelu_pytorch_tanh</c>, <c>torch.nn.functional.gelu(x, approximate="tanh")</c>.
    /// </summary>
    public static Tensor GeluTanh(Tensor x)
    {
        CheckFloat("gelu_tanh", x, "input");
        var y = EmptyLike(x);
        y.Backend.GeluTanh(x, y);
        return Record(y, "gelu_tanh", [x], dy =>
        {
            var dx = EmptyLike(x);
            dx.Backend.GeluTanhBackward(x, dy, dx);
            return [dx];
        });
    }

    public static Tensor Tanh(Tensor x)
    {
        CheckFloat("tanh", x, "input");
        var y = EmptyLike(x);
        y.Backend.Tanh(x, y);
        // d tanh(x)/dx = 1 − tanh²(x): the saved output is enough.
        return Record(y, "tanh", [x], dy =>
        {
            var dx = EmptyLike(x);
            dx.Backend.TanhBackward(y, dy, dx);
            return [dx];
        });
    }
}
