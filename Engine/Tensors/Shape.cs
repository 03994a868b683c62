using System.Collections;
using System.Runtime.CompilerServices;

namespace CudaBert.Engine;

/// <summary>
/// The dimensions of a tensor, outermost first (row-major: the last dimension is contiguous).
/// Rank 0 is a scalar with one element. Immutable; write it as a collection expression: <c>[2, 3]</c>.
/// </summary>
[CollectionBuilder(typeof(Shape), nameof(Create))]
public readonly struct Shape : IEquatable<Shape>, IEnumerable<int>
{
    private readonly int[]? dims;

    /// <summary>
    /// A shape with the given dimensions (copied); none gives a scalar. A negative dimension is an
    /// <see cref="ArgumentException"/>.
    /// </summary>
    public Shape(params int[] dims)
    {
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative dimension");
        this.dims = (int[])dims.Clone();
    }

    /// <summary>Builds a shape from a span; what the collection expression <c>[2, 3]</c> calls.</summary>
    public static Shape Create(ReadOnlySpan<int> dims) => new(dims.ToArray());

    /// <summary>A shape with the dimensions of <paramref name="dims"/>.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>Number of dimensions (0 for a scalar).</summary>
    public int Rank => dims?.Length ?? 0;

    /// <summary>The size of <paramref name="axis"/>; negative axes count from the end (-1 is the last).</summary>
    public int this[int axis] => Dims[axis < 0 ? axis + Rank : axis];

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Dims => dims ?? [];

    /// <summary>Product of all dimensions (1 for a scalar).</summary>
    public long NumElements
    {
        get
        {
            long n = 1;
            foreach (int d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>The last dimension (the contiguous one).</summary>
    public int Last => Rank == 0 ? 1 : Dims[^1];

    /// <summary>Number of rows when the tensor is seen as a matrix [NumElements / Last, Last].</summary>
    public long Rows => Last == 0 ? 0 : NumElements / Last;

    /// <summary>Resolves one <c>-1</c> entry of <paramref name="requested"/> so that it has as many elements as this shape.</summary>
    public Shape ResolveReshape(ReadOnlySpan<int> requested)
    {
        int[] result = requested.ToArray();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == -1)
            {
                if (inferred >= 0) throw new ArgumentException($"reshape {this} to {Format(result)}: more than one -1");
                inferred = i;
            }
            else known *= result[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || NumElements % known != 0)
                throw new ArgumentException($"reshape {this} to {Format(result)}: {NumElements} elements do not divide evenly");
            result[inferred] = (int)(NumElements / known);
            known *= result[inferred];
        }
        if (known != NumElements)
            throw new ArgumentException($"reshape {this} ({NumElements} elements) to {Format(result)} ({known} elements)");
        return new Shape(result);
    }

    /// <summary>A new array of the dimensions.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <summary>True when both shapes have the same rank and dimensions.</summary>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> have the same dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>True when <paramref name="a"/> and <paramref name="b"/> differ in rank or in a dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>The dimensions as <c>[2, 3]</c>, as error messages show them.</summary>
    public override string ToString() => Format(Dims);

    private static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    /// <summary>The dimensions, outermost first.</summary>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(dims ?? [])).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
