namespace CudaBert.Engine.Cuda;

/// <summary>
/// A permutation seen as one swap of two adjacent blocks of axes: x viewed as [A, P, Q, D] becomes
/// y = [A, Q, P, D]. Head split/merge ([0, 2, 1, 3]), matrix transposes ([1, 0], [0, 2, 1]) and
/// more are of this form, so one kernel (swap axes 1 and 2 of a 4-D array) serves them all.
/// Axes of extent 1 do not move memory and are ignored.
/// </summary>
public readonly record struct AxisBlockSwap(long A, long P, long Q, long D)
{
    /// <summary>
    /// The swap equal to permuting <paramref name="shape"/> by <paramref name="axes"/> (y.Shape[i] =
    /// shape[axes[i]]), or null when the permutation is not a single block swap. The identity is
    /// the swap with P = Q = 1.
    /// </summary>
    public static AxisBlockSwap? Of(Shape shape, ReadOnlySpan<int> axes)
    {
        // Keep the axes that have more than one element, renumbered in input order.
        var kept = new List<int>();
        for (int i = 0; i < axes.Length; i++)
            if (shape[axes[i]] != 1) kept.Add(axes[i]);
        var order = kept.Order().ToList();
        int[] perm = kept.Select(a => order.IndexOf(a)).ToArray();
        long[] extent = order.Select(a => (long)shape[a]).ToArray();
        int n = perm.Length;

        // perm must read [0 .. i) [j .. k) [i .. j) [k .. n).
        int start = 0;
        while (start < n && perm[start] == start) start++;
        if (start == n) return new AxisBlockSwap(Product(extent, 0, n), 1, 1, 1);
        int j = perm[start], pos = start, k = j;
        while (pos < n && perm[pos] == k) { pos++; k++; }
        for (int a = start; a < j; a++, pos++)
            if (pos >= n || perm[pos] != a) return null;
        for (int a = k; a < n; a++, pos++)
            if (perm[pos] != a) return null;
        return new AxisBlockSwap(Product(extent, 0, start), Product(extent, start, j), Product(extent, j, k), Product(extent, k, n));
    }

    static long Product(long[] extent, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= extent[i];
        return p;
    }
}
