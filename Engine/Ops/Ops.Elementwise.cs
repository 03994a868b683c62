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
    public static Tensor Gelu(Tensor x) => Activation("gelu", x,
        static (input, output) => output.Backend.Gelu(input, output),
        static (input, _, dy, dx) => dx.Backend.GeluBackward(input, dy, dx));

    /// <summary>
    /// GELU's tanh approximation, ½x·(1 + tanh(√(2/π)·(x + 0.044715·x³))): Hugging Face's
    /// <c>gelu_new</c> and <c>gelu_pytorch_tanh</c>, <c>torch.nn.functional.gelu(x, approximate="tanh")</c>.
    /// </summary>
    public static Tensor GeluTanh(Tensor x) => Activation("gelu_tanh", x,
        static (input, output) => output.Backend.GeluTanh(input, output),
        static (input, _, dy, dx) => dx.Backend.GeluTanhBackward(input, dy, dx));

    /// <summary>tanh(x); its derivative 1 − tanh²(x) needs only the saved output.</summary>
    public static Tensor Tanh(Tensor x) => Activation("tanh", x,
        static (input, output) => output.Backend.Tanh(input, output),
        static (_, output, dy, dx) => dx.Backend.TanhBackward(output, dy, dx));

    /// <summary>
    /// An element-wise activation y = f(x): <paramref name="forward"/>(x, y) fills y, and the
    /// backward rule <paramref name="backward"/>(x, y, dy, dx) fills dx from the saved x or y.
    /// </summary>
    private static Tensor Activation(string op, Tensor x, Action<Tensor, Tensor> forward, Action<Tensor, Tensor, Tensor, Tensor> backward)
    {
        CheckFloat(op, x, "input");
        var y = EmptyLike(x);
        forward(x, y);
        return Record(y, op, [x], dy =>
        {
            var dx = EmptyLike(x);
            backward(x, y, dy, dx);
            return [dx];
        });
    }
}
