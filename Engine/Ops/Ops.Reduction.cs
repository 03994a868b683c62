namespace CudaBert.Engine;

// Reductions to a scalar.
public static partial class Ops
{
    /// <summary>Σ of all elements, as a rank-0 tensor.</summary>
    public static Tensor Sum(Tensor x)
    {
        CheckFloat("sum", x, "input");
        var total = Tensor.Empty([], x.DType, x.Device);
        total.Backend.Sum(x, total);
        return Record(total, "sum", [x], dy => [Broadcast(dy, x.Shape)]);
    }

    /// <summary>Mean of all elements, as a rank-0 tensor.</summary>
    public static Tensor Mean(Tensor x) => Scale(Sum(x), 1.0 / x.NumElements);

    /// <summary>
    /// A tensor of <paramref name="shape"/> filled with the single value of <paramref name="scalar"/>,
    /// computed on the device (no read-back): zeros [N, 1] plus the scalar as a one-element bias.
    /// </summary>
    private static Tensor Broadcast(Tensor scalar, Shape shape)
    {
        var filled = Tensor.Zeros([(int)shape.NumElements, 1], scalar.DType, scalar.Device);
        using var bias = scalar.ViewAs([1]);
        filled.Backend.AddBias(filled, bias, filled);
        return filled.ViewAs(shape);
    }
}
