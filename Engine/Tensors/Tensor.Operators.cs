namespace CudaBert.Engine;

// Operator and method shorthands for the most common ops.
public sealed partial class Tensor
{
    /// <summary>Element-wise sum; see <see cref="Ops.Add"/>.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    /// <summary>Element-wise difference; see <see cref="Ops.Sub"/>.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    /// <summary>Element-wise product; see <see cref="Ops.Mul"/>.</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    /// <summary>Every element times <paramref name="alpha"/>; see <see cref="Ops.Scale"/>.</summary>
    public static Tensor operator *(Tensor a, double alpha) => Ops.Scale(a, alpha);
    /// <summary>Every element times <paramref name="alpha"/>; see <see cref="Ops.Scale"/>.</summary>
    public static Tensor operator *(double alpha, Tensor a) => Ops.Scale(a, alpha);

    /// <summary>See <see cref="Ops.Reshape"/> (a view, no copy).</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    /// <summary>See <see cref="Ops.Transpose"/> (a copy).</summary>
    public Tensor Transpose(int axis0, int axis1) => Ops.Transpose(this, axis0, axis1);
}
