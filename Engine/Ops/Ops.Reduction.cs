namespace CudaBert.Engine;

// Reductions to a scalar, and over one axis.
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
    /// Σ over <paramref name="axis"/> (negative counts from the end), as <c>torch.sum(x, dim, keepdim)</c>:
    /// the axis is removed, or kept with length 1 when <paramref name="keepDim"/>.
    /// </summary>
    public static Tensor Sum(Tensor x, int axis, bool keepDim = false) => SumAxis("sum", x, axis, keepDim, mean: false);

    /// <summary>Mean over <paramref name="axis"/>, as <c>torch.mean(x, dim, keepdim)</c> (NaN for an axis of length 0, as PyTorch).</summary>
    public static Tensor Mean(Tensor x, int axis, bool keepDim = false) => SumAxis("mean", x, axis, keepDim, mean: true);

    // The mean is the sum scaled by 1/n inside the same primitive (one rounding, no extra pass);
    // the backward of both copies scale·dy along the reduced axis.
    private static Tensor SumAxis(string op, Tensor x, int axis, bool keepDim, bool mean)
    {
        CheckFloat(op, x, "input");
        if (axis < -x.Rank || axis >= x.Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), axis, $"{op}: axis {axis} is out of range for {x.Shape} (rank {x.Rank})");
        if (axis < 0) axis += x.Rank;
        int length = x.Shape[axis];
        double scale = mean ? 1.0 / length : 1.0;

        int[] dims = x.Shape.ToArray();
        if (keepDim) dims[axis] = 1;
        else dims = [.. dims[..axis], .. dims[(axis + 1)..]];
        var y = Tensor.Empty(new Shape(dims), x.DType, x.Device);
        y.Backend.SumAxis(x, axis, scale, y);
        return Record(y, op + "_axis", [x], dy =>
        {
            var dx = EmptyLike(x);
            dx.Backend.SumAxisBackward(dy, axis, scale, dx);
            return [dx];
        });
    }

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
