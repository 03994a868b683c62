namespace CudaBert.Engine.Cpu;

/// <summary>
/// Cache-blocking parameters of the GEMM (the Goto / BLIS scheme).
/// </summary>
/// <remarks>
/// C (M×N) += op(A) (M×K) · op(B) (K×N) is cut into blocks so that every operand is read from the
/// cache level where it is reused:
/// <code>
/// pack all of op(B) into NR-wide slivers, k block by k block (all threads together)
/// parallel for each macro-tile (a band of rows of C, 2 bands per thread; × a range of columns):
///   for pc in K step kc (K cut into equal blocks of at most Kc)   B block kc×N → L2 / L3
///     for ic in the band's rows step Mc
///       pack op(A)[ic.., pc..] into MR-high slivers (this thread's workspace)
///       for jr over the tile's B slivers     B sliver kc×NR → stays in L1 across the ir loop
///         for ir over the A block's slivers  A block  Mc×kc → stays in L2 across the jr loop
///           micro-kernel: C[ir.., jr..] (MR×NR, in registers) += Asliver · Bsliver
/// </code>
/// With the 12×32 AVX-512 kernel: a B sliver is 384·32·4 B = 48 KiB (the size of L1d on the Zen 5
/// this was tuned on, whose L2 refills L1 fast enough to stream it), an A block 96·384·4 B = 144 KiB
/// (L2 is 1 MiB per core); a B block (384·N floats, 4.5 MiB for N = 3072) comes from L3. Each pass over K re-reads and
/// re-writes C, so a deep Kc pays: measured single-threaded against OpenBLAS, Kc 384 beat 256 by
/// 3–10 % on BERT shapes. Mc is a multiple of every kernel's MR.
/// </remarks>
internal static class GemmBlocking
{
    /// <summary>Depth of one rank-Kc update: the k extent of every packed sliver.</summary>
    public const int Kc = 384;

    /// <summary>Rows of op(A) in one macro-tile (the A block kept in L2).</summary>
    public const int Mc = 96;

    /// <summary>
    /// Below this many multiply-adds (m·n·k) the product runs on the calling thread: waking the
    /// thread pool costs more than it saves.
    /// </summary>
    public const long ParallelThreshold = 64L * 64 * 64 * 4;
}
