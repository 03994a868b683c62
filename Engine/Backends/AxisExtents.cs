namespace CudaBert.Engine.Backends;

/// <summary>
/// A tensor seen as [Outer, Length, Inner] around one axis: Outer is the product of the axes before
/// it, Length its own length, Inner the product of the axes after it. Element (o, a, i) is at
/// (o·Length + a)·Inner + i in row-major order; reductions over the axis run over a.
/// </summary>
internal readonly record struct AxisExtents(long Outer, int Length, long Inner)
{
    /// <summary>The extents of <paramref name="shape"/> around <paramref name="axis"/> (0 ≤ axis &lt; rank).</summary>
    public static AxisExtents Of(Shape shape, int axis)
    {
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= shape[d];
        for (int d = axis + 1; d < shape.Rank; d++) inner *= shape[d];
        return new AxisExtents(outer, shape[axis], inner);
    }
}
