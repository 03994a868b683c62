namespace CudaBert.Engine.Cpu;

/// <summary>
/// Copies a block of op(A) or op(B) into the sliver layout the micro-kernel reads with unit stride.
/// </summary>
/// <remarks>
/// Both operands are packed by the same routine. View the block as a matrix X whose element (t, p)
/// sits at <c>src[t·strideT + p·strideP]</c>, with t the index the micro-kernel vectorises or
/// broadcasts over (a row i of op(A), a column j of op(B)) and p the shared k index:
/// <code>
///   op(A) element (i, p): A row-major M×K  → strideT = lda, strideP = 1
///                         A transposed K×M → strideT = 1,   strideP = lda
///   op(B) element (j, p): B row-major K×N  → strideT = 1,   strideP = ldb
///                         B transposed N×K → strideT = ldb, strideP = 1
/// </code>
/// X is cut into slivers of <c>width</c> consecutive t (MR for A, NR for B); sliver s is stored at
/// <c>dest + s·width·kc</c> as kc groups of width floats: element (t, p) → <c>[p·width + t mod width]</c>.
/// A last, narrower sliver is padded with zeros, so the micro-kernel always runs full tiles and the
/// padding contributes nothing. Transposes cost nothing at compute time: they only change which of
/// the two copy loops below runs.
/// </remarks>
internal static unsafe class GemmPacking
{
    /// <summary>Packs slivers [firstSliver, endSliver) of the count×kc block X.</summary>
    public static void PackSlivers(float* src, nint strideT, nint strideP, int count, int kc, int width,
        int firstSliver, int endSliver, float* dest)
    {
        for (int s = firstSliver; s < endSliver; s++)
        {
            int t0 = s * width;
            int valid = Math.Min(width, count - t0);
            float* sliver = dest + (nint)s * width * kc;
            float* first = src + t0 * strideT;
            if (strideT == 1)
                CopyRunsAlongT(first, strideP, valid, kc, width, sliver);
            else
                CopyRunsAlongP(first, strideT, strideP, valid, kc, width, sliver);
        }
    }

    /// <summary>X's t index is contiguous in memory: each k step is one run of <paramref name="valid"/> floats.</summary>
    private static void CopyRunsAlongT(float* first, nint strideP, int valid, int kc, int width, float* sliver)
    {
        for (int p = 0; p < kc; p++)
        {
            var from = new ReadOnlySpan<float>(first + p * strideP, valid);
            var to = new Span<float>(sliver + (nint)p * width, width);
            from.CopyTo(to);
            to[valid..].Clear();
        }
    }

    /// <summary>
    /// X's t index is strided: walk each t's contiguous run along p (when strideP is 1) and scatter
    /// it with stride <paramref name="width"/>; sequential reads are the expensive side to get right.
    /// </summary>
    private static void CopyRunsAlongP(float* first, nint strideT, nint strideP, int valid, int kc, int width, float* sliver)
    {
        for (int t = 0; t < valid; t++)
        {
            float* from = first + t * strideT;
            float* to = sliver + t;
            for (int p = 0; p < kc; p++)
                to[(nint)p * width] = from[p * strideP];
        }
        for (int t = valid; t < width; t++)
            for (int p = 0; p < kc; p++)
                sliver[(nint)p * width + t] = 0;
    }
}
