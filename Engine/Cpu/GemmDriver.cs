namespace CudaBert.Engine.Cpu;

/// <summary>
/// The blocked loop nest around a micro-kernel (the scheme is drawn in <see cref="GemmBlocking"/>).
/// One specialised copy is compiled per kernel, so MR and NR are constants in the hot loops.
/// </summary>
internal static unsafe class GemmDriver<TKernel> where TKernel : struct, IGemmMicroKernel
{
    /// <summary>Computes the product; <paramref name="maxThreads"/> 1 keeps all work on the caller.</summary>
    public static void Run(in GemmProblem problem, int maxThreads)
    {
        var p = problem;
        if (p.M == 0 || p.N == 0)
            return;
        if (p.K == 0 || p.Alpha == 0)
        {
            ScaleC(p);
            return;
        }

        int nr = TKernel.Nr;
        int threads = (long)p.M * p.N * p.K < GemmBlocking.ParallelThreshold ? 1 : maxThreads;
        // K is cut into equal blocks of at most Kc (768 → 2 × 384, not 512 + 256): fewer passes over C.
        int kcStep = CeilDiv(p.K, CeilDiv(p.K, GemmBlocking.Kc));
        float* packedB = GemmWorkspace.ForCurrentThread()
            .PackedB((long)CeilDiv(Math.Min(GemmBlocking.Nc, p.N), nr) * nr * kcStep);

        for (int jc = 0; jc < p.N; jc += GemmBlocking.Nc)
        {
            int nc = Math.Min(GemmBlocking.Nc, p.N - jc);
            int bSlivers = CeilDiv(nc, nr);
            for (int pc = 0; pc < p.K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, p.K - pc);
                // Only the first rank-kc update applies the caller's beta; later ones accumulate.
                float beta = pc == 0 ? p.Beta : 1f;

                // op(B)[pc.., jc + j]: see GemmPacking for the stride convention. Every macro-tile
                // reads all of it, so it is packed once, by all threads, before any tile starts.
                float* bBlock = p.B + pc * p.BRowStride + jc * p.BColStride;
                ForRanges(bSlivers, threads, (first, end) =>
                    GemmPacking.PackSlivers(bBlock, p.BColStride, p.BRowStride, nc, kc, nr, first, end, packedB));

                ComputeMacroTiles(p, jc, nc, pc, kc, beta, packedB, threads);
            }
        }
    }

    /// <summary>
    /// Splits C[:, jc..jc+nc] into macro-tiles (Mc rows × a range of B slivers) and runs them in
    /// parallel. Rows are split first; columns too when there are too few row blocks to keep every
    /// thread busy (two tiles per thread smooth out uneven finishing times). Each tile packs its own
    /// A block into its thread's workspace, so the block is still in that core's L2 when used.
    /// </summary>
    private static void ComputeMacroTiles(GemmProblem p, int jc, int nc, int pc, int kc, float beta,
        float* packedB, int threads)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int rowBlocks = CeilDiv(p.M, GemmBlocking.Mc);
        int bSlivers = CeilDiv(nc, nr);
        int columnParts = threads == 1 ? 1 : Math.Clamp(CeilDiv(2 * threads, rowBlocks), 1, bSlivers);
        int tiles = rowBlocks * columnParts;

        void Tile(int tile)
        {
            int rowBlock = tile / columnParts, part = tile % columnParts;
            int i0 = rowBlock * GemmBlocking.Mc;
            int rows = Math.Min(GemmBlocking.Mc, p.M - i0);
            int firstSliver = (int)((long)bSlivers * part / columnParts);
            int endSliver = (int)((long)bSlivers * (part + 1) / columnParts);
            float* edgeTile = stackalloc float[mr * nr];
            float* packedA = GemmWorkspace.ForCurrentThread().PackedA((long)GemmBlocking.Mc * kc);
            GemmPacking.PackSlivers(p.A + i0 * p.ARowStride + pc * p.AColStride, p.ARowStride, p.AColStride,
                rows, kc, mr, 0, CeilDiv(rows, mr), packedA);

            for (int jr = firstSliver; jr < endSliver; jr++)
            {
                float* bSliver = packedB + (nint)jr * nr * kc;
                int j = jc + jr * nr;
                int width = Math.Min(nr, p.N - j);
                for (int ir = 0; ir < rows; ir += mr)
                {
                    int i = i0 + ir;
                    float* aSliver = packedA + (nint)(ir / mr) * mr * kc;
                    int height = Math.Min(mr, p.M - i);
                    float* cTile = p.C + i * p.Ldc + j;
                    if (height == mr && width == nr)
                        TKernel.Run(kc, aSliver, bSliver, cTile, p.Ldc, p.Alpha, beta);
                    else
                        RunEdgeTile(kc, aSliver, bSliver, cTile, p.Ldc, p.Alpha, beta, height, width, edgeTile);
                }
            }
        }

        if (threads == 1 || tiles == 1)
            for (int t = 0; t < tiles; t++)
                Tile(t);
        else
            Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = threads }, Tile);
    }

    /// <summary>
    /// A tile that sticks out of C (the last rows or columns): the kernel writes the full MR×NR
    /// tile to a scratch buffer and only the part inside C is merged.
    /// </summary>
    private static void RunEdgeTile(int kc, float* aSliver, float* bSliver, float* c, nint ldc,
        float alpha, float beta, int height, int width, float* scratch)
    {
        int nr = TKernel.Nr;
        TKernel.Run(kc, aSliver, bSliver, scratch, nr, alpha, 0f);
        for (int i = 0; i < height; i++)
        {
            float* cRow = c + i * ldc;
            float* sRow = scratch + i * nr;
            for (int j = 0; j < width; j++)
                cRow[j] = beta == 0 ? sRow[j] : sRow[j] + beta * cRow[j];
        }
    }

    /// <summary>C = beta·C, for products that add nothing (K = 0 or alpha = 0); beta = 0 writes zeros.</summary>
    private static void ScaleC(GemmProblem p)
    {
        for (int i = 0; i < p.M; i++)
        {
            var row = new Span<float>(p.C + i * p.Ldc, p.N);
            if (p.Beta == 0)
                row.Clear();
            else if (p.Beta != 1)
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, p.Beta, row);
        }
    }

    /// <summary>Runs <paramref name="body"/> over [0, count) cut into one contiguous range per thread.</summary>
    private static void ForRanges(int count, int threads, Action<int, int> body)
    {
        int parts = Math.Min(threads, count);
        if (parts <= 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts },
            part => body((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts)));
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;
}
