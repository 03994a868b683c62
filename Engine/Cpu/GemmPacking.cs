using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

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
    /// <remarks>One of the two strides is always 1 (row-major storage), which picks the copy loop.</remarks>
    public static void PackSlivers(float* src, nint strideT, nint strideP, int count, int kc, int width,
        int firstSliver, int endSliver, float* dest)
    {
        if (strideT == 1)
        {
            CopyRunsAlongT(src, strideP, count, kc, width, firstSliver, endSliver, dest);
            return;
        }
        for (int s = firstSliver; s < endSliver; s++)
        {
            int t0 = s * width;
            TransposeRunsAlongP(src + t0 * strideT, strideT, Math.Min(width, count - t0), kc, width,
                dest + (nint)s * width * kc);
        }
    }

    /// <summary>
    /// X's t index is contiguous in memory: for each k step, the slivers' runs lie one after the
    /// other, so walking p outside and slivers inside reads memory in long sequential streams
    /// (the hardware prefetcher's favourite) instead of short hops one row apart.
    /// </summary>
    private static void CopyRunsAlongT(float* src, nint strideP, int count, int kc, int width,
        int firstSliver, int endSliver, float* dest)
    {
        for (int p = 0; p < kc; p++)
        {
            float* row = src + p * strideP;
            for (int s = firstSliver; s < endSliver; s++)
            {
                int t0 = s * width;
                int valid = Math.Min(width, count - t0);
                float* from = row + t0;
                float* to = dest + (nint)s * width * kc + (nint)p * width;
                int t = 0;
                for (; t + 4 <= valid; t += 4)
                    Vector128.Store(Vector128.Load(from + t), to + t);
                for (; t < valid; t++)
                    to[t] = from[t];
                for (; t < width; t++)
                    to[t] = 0;
            }
        }
    }

    /// <summary>
    /// X's p index is contiguous (strideP = 1) and t is strided: the sliver is the transpose of
    /// <paramref name="valid"/> rows of length kc. Four rows at a time go through 4×4 SSE transposes
    /// (four vector loads along p become four vector stores along t); leftover rows and the k tail
    /// are copied one float at a time. Each row is only kc floats long, too short a stream for the
    /// hardware prefetcher to learn, so the loop prefetches the next four rows itself.
    /// </summary>
    private static void TransposeRunsAlongP(float* first, nint strideT, int valid, int kc, int width, float* sliver)
    {
        int t = 0;
        if (Sse.IsSupported)
            for (; t + 4 <= valid; t += 4)
                TransposeFourRows(first + t * strideT, strideT, kc, width, sliver + t);
        for (; t < valid; t++)
            CopyRowAlongP(first + t * strideT, kc, width, sliver + t);
        for (; t < width; t++)
            for (int p = 0; p < kc; p++)
                sliver[(nint)p * width + t] = 0;
    }

    private static void TransposeFourRows(float* row0, nint strideT, int kc, int width, float* to)
    {
        float* row1 = row0 + strideT, row2 = row1 + strideT, row3 = row2 + strideT;
        float* next = row3 + strideT;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            if ((p & 15) == 0) // once per 64-byte line; a prefetch past the matrix is harmless (never faults)
            {
                Sse.Prefetch0(next + p);
                Sse.Prefetch0(next + strideT + p);
                Sse.Prefetch0(next + 2 * strideT + p);
                Sse.Prefetch0(next + 3 * strideT + p);
            }
            // r_i = X[i, p..p+4); the result c_q = X[0..4, p+q].
            var r0 = Sse.LoadVector128(row0 + p);
            var r1 = Sse.LoadVector128(row1 + p);
            var r2 = Sse.LoadVector128(row2 + p);
            var r3 = Sse.LoadVector128(row3 + p);
            var lo01 = Sse.UnpackLow(r0, r1);   // r0[0] r1[0] r0[1] r1[1]
            var lo23 = Sse.UnpackLow(r2, r3);   // r2[0] r3[0] r2[1] r3[1]
            var hi01 = Sse.UnpackHigh(r0, r1);  // r0[2] r1[2] r0[3] r1[3]
            var hi23 = Sse.UnpackHigh(r2, r3);  // r2[2] r3[2] r2[3] r3[3]
            float* at = to + (nint)p * width;
            Sse.Store(at, Sse.MoveLowToHigh(lo01, lo23));
            Sse.Store(at + width, Sse.MoveHighToLow(lo23, lo01));
            Sse.Store(at + 2 * width, Sse.MoveLowToHigh(hi01, hi23));
            Sse.Store(at + 3 * width, Sse.MoveHighToLow(hi23, hi01));
        }
        for (; p < kc; p++)
        {
            float* at = to + (nint)p * width;
            at[0] = row0[p];
            at[1] = row1[p];
            at[2] = row2[p];
            at[3] = row3[p];
        }
    }

    private static void CopyRowAlongP(float* row, int kc, int width, float* to)
    {
        for (int p = 0; p < kc; p++)
            to[(nint)p * width] = row[p];
    }
}
