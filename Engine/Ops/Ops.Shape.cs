namespace CudaBert.Engine;

// Shape ops: reshape is a view (no copy); permutes copy into a new contiguous tensor.
public static partial class Ops
{
    /// <summary>The same elements seen with another shape (one axis may be -1); shares storage.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var resolved = x.Shape.ResolveReshape(shape);
        var y = x.ViewAs(resolved);
        return Record(y, "reshape", [x], dy => [dy.ViewAs(x.Shape)]);
    }

    /// <summary>A contiguous copy with axes reordered: result axis i is input axis <paramref name="axes"/>[i].</summary>
    public static Tensor Permute(Tensor x, params int[] axes)
    {
        if (axes.Length != x.Rank || axes.Order().Where((a, i) => a != i).Any())
            throw new ArgumentException($"permute: [{string.Join(", ", axes)}] is not a permutation of the {x.Rank} axes of {x.Shape}");
        var y = Tensor.Empty(axes.Select(a => x.Shape[a]).ToArray(), x.DType, x.Device);
        y.Backend.Permute(x, axes, y);
        // The inverse permutation puts every axis back.
        var inverse = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++) inverse[axes[i]] = i;
        return Record(y, "permute", [x], dy => [Permute(dy, inverse)]);
    }

    /// <summary>A contiguous copy with two axes swapped.</summary>
    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        var axes = Enumerable.Range(0, x.Rank).ToArray();
        axis0 = axis0 < 0 ? axis0 + x.Rank : axis0;
        axis1 = axis1 < 0 ? axis1 + x.Rank : axis1;
        (axes[axis0], axes[axis1]) = (axes[axis1], axes[axis0]);
        return Permute(x, axes);
    }

    /// <summary>Attention heads: [B, S, H·D] → [B, H, S, D].</summary>
    public static Tensor SplitHeads(Tensor x, int heads)
    {
        if (x.Rank != 3 || x.Shape[2] % heads != 0)
            throw new ArgumentException($"split_heads: input {x.Shape} is not [batch, seq, heads·head_dim] with {heads} heads");
        var view = Reshape(x, [x.Shape[0], x.Shape[1], heads, x.Shape[2] / heads]);
        var split = Permute(view, 0, 2, 1, 3);
        view.ReleaseValues();   // the permute copied it and its backward reads no values: x alone keeps the storage now
        return split;
    }

    /// <summary>Inverse of <see cref="SplitHeads"/>: [B, H, S, D] → [B, S, H·D].</summary>
    public static Tensor MergeHeads(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"merge_heads: input {x.Shape} is not [batch, heads, seq, head_dim]");
        return Reshape(Permute(x, 0, 2, 1, 3), [x.Shape[0], x.Shape[2], x.Shape[1] * x.Shape[3]]);
    }
}
