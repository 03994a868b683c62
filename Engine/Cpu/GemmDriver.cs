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
        int kBlocks = CeilDiv(p.K, kcStep);
        int bSlivers = CeilDiv(p.N, nr);
        long bBlockFloats = (long)bSlivers * nr * kcStep;
        float* packedB = GemmWorkspace.ForCurrentThread().PackedB(bBlockFloats * kBlocks);

        // The macro-tiles share op(B), so all of it is packed first, by all threads: k block b
        // (rows pc = b·kcStep.. of op(B)) at packedB + b·bBlockFloats. One barrier, not one per block.
        ForRanges(bSlivers, threads, (first, end) =>
        {
            for (int b = 0; b < kBlocks; b++)
            {
                int pc = b * kcStep;
                GemmPacking.PackSlivers(p.B + pc * p.BRowStride, p.BColStride, p.BRowStride, p.N,
                    Math.Min(kcStep, p.K - pc), nr, first, end, packedB + b * bBlockFloats);
            }
        });

        ComputeMacroTiles(p, kcStep, kBlocks, packedB, bBlockFloats, threads);
    }

    /// <summary>
    /// Splits C into macro-tiles and runs them in parallel, each from start to finish (all k
    /// blocks), so threads never wait for each other. A macro-tile is a band of rows (in whole MR
    /// slivers; two bands per thread, so a thread slowed by other work hands bands to the others)
    /// and, when there are too few rows for that, a range of columns. Inside a band the k blocks
    /// are the outer loop: a B block (kc×N) is read by every Mc-row block of the band in turn,
    /// while it is still in cache. Each band packs its A blocks into its thread's workspace.
    /// </summary>
    private static void ComputeMacroTiles(GemmProblem p, int kcStep, int kBlocks, float* packedB,
        long bBlockFloats, int threads)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int rowSlivers = CeilDiv(p.M, mr);
        int bSlivers = CeilDiv(p.N, nr);
        int bands = threads == 1 ? 1 : Math.Min(rowSlivers, 2 * threads);
        int columnParts = threads == 1 ? 1 : Math.Clamp(CeilDiv(2 * threads, bands), 1, bSlivers);
        int slivers = GemmBlocking.Mc / mr; // A slivers per packed A block

        void Tile(int tile)
        {
            int band = tile / columnParts, part = tile % columnParts;
            int firstRowSliver = (int)((long)rowSlivers * band / bands);
            int endRowSliver = (int)((long)rowSlivers * (band + 1) / bands);
            int firstSliver = (int)((long)bSlivers * part / columnParts);
            int endSliver = (int)((long)bSlivers * (part + 1) / columnParts);
            float* edgeTile = stackalloc float[mr * nr];
            float* packedA = GemmWorkspace.ForCurrentThread().PackedA((long)GemmBlocking.Mc * kcStep);

            for (int b = 0; b < kBlocks; b++)
            {
                int pc = b * kcStep;
                int kc = Math.Min(kcStep, p.K - pc);
                // Only the first rank-kc update applies the caller's beta; later ones accumulate.
                float beta = b == 0 ? p.Beta : 1f;
                float* bBlock = packedB + b * bBlockFloats;
                for (int ic = firstRowSliver; ic < endRowSliver; ic += slivers)
                {
                    int i0 = ic * mr;
                    int rows = Math.Min(Math.Min(ic + slivers, endRowSliver) * mr, p.M) - i0;
                    GemmPacking.PackSlivers(p.A + i0 * p.ARowStride + pc * p.AColStride, p.ARowStride, p.AColStride,
                        rows, kc, mr, 0, CeilDiv(rows, mr), packedA);
                    MacroKernel(p, i0, rows, firstSliver, endSliver, kc, beta, packedA, bBlock, edgeTile);
                }
            }
        }

        int tiles = bands * columnParts;
        if (tiles == 1)
            Tile(0);
        else
            Parallel.For(0, tiles, new ParallelOptions { MaxDegreeOfParallelism = threads }, Tile);
    }

    /// <summary>
    /// C[i0.., slivers firstSliver..endSliver] += one packed A block (rows × kc) times the B
    /// slivers of one k block: the jr/ir loops around the micro-kernel.
    /// </summary>
    private static void MacroKernel(GemmProblem p, int i0, int rows, int firstSliver, int endSliver, int kc,
        float beta, float* packedA, float* bBlock, float* edgeTile)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        for (int jr = firstSliver; jr < endSliver; jr++)
        {
            float* bSliver = bBlock + (nint)jr * nr * kc;
            int j = jr * nr;
            int width = Math.Min(nr, p.N - j);
            for (int ir = 0; ir < rows; ir += mr)
            {
                float* aSliver = packedA + (nint)(ir / mr) * mr * kc;
                int height = Math.Min(mr, rows - ir);
                float* cTile = p.C + (i0 + ir) * p.Ldc + j;
                if (height == mr && width == nr)
                    TKernel.Run(kc, aSliver, bSliver, cTile, p.Ldc, p.Alpha, beta);
                else
                    RunEdgeTile(kc, aSliver, bSliver, cTile, p.Ldc, p.Alpha, beta, height, width, edgeTile);
            }
        }
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
