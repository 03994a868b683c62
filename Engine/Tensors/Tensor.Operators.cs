namespace CudaBert.Engine;

// Operator and method shorthands for the most common ops.
public sealed partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator *(Tensor a, double alpha) => Ops.Scale(a, alpha);
    public static Tensor operator *(double alpha, Tensor a) => Ops.Scale(a, alpha);

    /// <summary>See <see cref="Ops.Reshape"/> (a view, no copy).</summary>
    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);

    /// <summary>See <see cref="Ops.Transpose"/> (a copy).</summary>
    public Tensor Transpose(int axis0, int axis1) => Ops.Transpose(this, axis0, axis1);
}
