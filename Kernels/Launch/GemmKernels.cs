using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>What a GEMM does to each element after α·op(A)·op(B) + β·C (Kernels/bert/gemm_epilogue.cuh).</summary>
public enum GemmEpilogue
{
    /// <summary>Nothing: C = α·op(A)·op(B) + β·C.</summary>
    None = 0,
    /// <summary>+ bias[n] on every row.</summary>
    Bias = 1,
    /// <summary>+ bias[n], then GELU (erf): a Linear layer followed by BERT's activation, in one pass.</summary>
    BiasGelu = 2,
    /// <summary>
    /// × GELU′(aux[m, n]) (erf form): the backward of GELU before a linear layer, dz = (dy·W) ⊙ GELU′(z), in one
    /// pass. aux (float32) is laid out like C — the same leading dimension and batch stride — and β must be 0.
    /// </summary>
    GeluDerivative = 3,
}

/// <summary>Which block tile the tensor-core GEMM uses (Kernels/bert/gemm_tf32.cu).</summary>
public enum GemmTf32Tile
{
    /// <summary>Chosen per call from the grid size and K (<see cref="GemmKernels.ChooseTf32Tile"/>).</summary>
    Auto = 0,
    /// <summary>128×128 of C per block, 4 warps of 64×64: the fewest shared-memory bytes per mma, for large products.</summary>
    Large128 = 1,
    /// <summary>64×64 of C per block, 4 warps of 32×32: four times the blocks, for grids the large tile cannot fill.</summary>
    Small64 = 2,
}

/// <summary>
/// Batched row-major C = α·op(A)·op(B) + β·C (+ epilogue) with transpose flags, two kernels side by
/// side: Kernels/bert/gemm_simt.cu (fp32 FMA, register-tiled; exact to fp32 rounding, any layout) and
/// Kernels/bert/gemm_tf32.cu (tensor cores, mma.sync tf32 with fp32 accumulation, ldmatrix, 3-stage
/// cp.async pipeline of K slices of 32; ~1e-3 relative, needs 16-byte aligned rows). op(A) is M×K, op(B)
/// K×N, C M×N; batch b starts at A + b·strideA (elements; 0 shares one matrix) and so on. β = 0 does not
/// read C. The epilogue's aux operand (<see cref="GemmEpilogue.GeluDerivative"/>) is laid out like C.
/// The SIMT kernel launches 256 threads per block, each block a 128×128 tile of C, grid
/// (⌈N/128⌉, ⌈M/128⌉, batch); the tensor-core kernel 128 threads per 128×128 or 64×64 tile
/// (<see cref="GemmTf32Tile"/>), grid (⌈N/tile⌉, ⌈M/tile⌉, batch), with dynamic shared memory above
/// 48 KB (opted in here).
/// </summary>
public static class GemmKernels
{
    const int Tile = 128;

    // Kernels/bert/gemm_tf32.cu's BK, STAGES and stage-buffer layouts: per stage one A and one B buffer
    // of max(side · (BK + 4), BK · (side + 8)) floats, side = the tile's 128 or 64.
    const int Tf32SliceK = 32, Tf32Stages = 3;
    const int MaxGridY = 65535;
    /// <summary>Threads per block of the tensor-core kernel, both tiles: 4 warps.</summary>
    const int Tf32Threads = 128;

    /// <summary>Dynamic shared memory of the tensor-core kernel for a tile side: 110,592 B for 128, 55,296 B for 64.</summary>
    public static int Tf32SharedBytes(int side) =>
        Tf32Stages * 2 * Math.Max(side * (Tf32SliceK + 4), Tf32SliceK * (side + 8)) * sizeof(float);

    /// <summary>Contiguous operands: lda, ldb, ldc are the row lengths of A, B, C as stored; strides are whole matrices.</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        Simt(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, aux, stream);
    }

    /// <summary>Leading dimensions and batch strides of contiguous op(A) (M×K) and op(B) (K×N) as stored.</summary>
    static (int Lda, long StrideA, int Ldb, long StrideB) Contiguous(bool transA, bool transB, int m, int n, int k, bool broadcastB) =>
        (transA ? m : k, (long)m * k, transB ? k : n, broadcastB ? 0 : (long)k * n);

    static void CheckShape(string kernel, int batch, int m, int n, int k, float beta, DevicePtr bias, GemmEpilogue epilogue, DevicePtr aux)
    {
        Launcher.Positive(batch, kernel);
        Launcher.Positive(m, kernel);
        Launcher.Positive(n, kernel);
        Launcher.Positive(k, kernel);
        if (batch > 65535)
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{kernel}: batch = {batch} exceeds the grid's z limit 65535.");
        CheckEpilogue(kernel, beta, bias, epilogue, aux);
    }

    /// <summary>
    /// The epilogue's own arguments, for every GEMM launcher: bias for <see cref="GemmEpilogue.Bias"/> and
    /// <see cref="GemmEpilogue.BiasGelu"/>; aux and β = 0 for <see cref="GemmEpilogue.GeluDerivative"/>.
    /// </summary>
    internal static void CheckEpilogue(string kernel, float beta, DevicePtr bias, GemmEpilogue epilogue, DevicePtr aux)
    {
        switch (epilogue)
        {
            case GemmEpilogue.None:
                return;
            case GemmEpilogue.Bias or GemmEpilogue.BiasGelu:
                Launcher.NotNull(bias, kernel);
                return;
            case GemmEpilogue.GeluDerivative:
                Launcher.NotNull(aux, kernel);
                if (beta != 0)
                    throw new ArgumentOutOfRangeException(nameof(beta), beta, $"{kernel}: the GELU-derivative epilogue multiplies the product " +
                        $"alone (C = α·op(A)·op(B) ⊙ GELU′(aux)), so β must be 0, got β = {beta}.");
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(epilogue), epilogue, $"{kernel}: unknown epilogue {(int)epilogue}.");
        }
    }

    /// <summary>General leading dimensions and batch strides (in elements); aux (<see cref="GemmEpilogue.GeluDerivative"/>) has C's.</summary>
    public static void Simt(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null)
    {
        const string kernel = "gemm_simt_f32";
        CheckShape(kernel, batch, m, n, k, beta, bias, epilogue, aux);
        var grid = new Dim3((uint)Launcher.CeilDiv(n, Tile), (uint)Launcher.CeilDiv(m, Tile), (uint)batch);
        dev.Launch(Launcher.Get(dev, "gemm_simt", kernel), grid, Launcher.Threads, 0, stream,
            new KernelArgs().I32(transA ? 1 : 0).I32(transB ? 1 : 0).I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }

    /// <summary>
    /// Contiguous operands, the kernel chosen per call: the tensor-core kernel when <paramref name="allowTf32"/>
    /// (the caller accepts ~1e-3 relative error, as PyTorch's allow_tf32) and the operands qualify
    /// (<see cref="SupportsTf32"/>), else the fp32 SIMT kernel. The tensor-core kernel is Hopper's wgmma
    /// kernels on compute capability 9.x when opted in (<see cref="HopperGemmKernels.Chosen"/>), gemm_tf32.cu otherwise.
    /// <paramref name="workspace"/> (<paramref name="workspaceBytes"/>) is scratch for the Hopper kernels' split-K partial
    /// sums (<see cref="HopperGemmKernels.WorkspaceBytes"/>); the other kernels do not use it.
    /// </summary>
    public static void Run(ICudaDevice dev, bool allowTf32, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null,
        DevicePtr workspace = default, long workspaceBytes = 0)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        if (allowTf32 && SupportsTf32(a, lda, strideA, b, ldb, strideB) && HopperGemmKernels.Chosen(dev.Info))
            HopperGemmKernels.Tf32(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, aux, stream,
                workspace, workspaceBytes);
        else if (allowTf32 && SupportsTf32(a, lda, strideA, b, ldb, strideB))
            Tf32(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, aux, stream);
        else
            Simt(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, aux, stream);
    }

    /// <summary>
    /// Whether the tensor-core kernel can take these operands: every row of A and B as stored, and every
    /// batch, starts on a 16-byte boundary (leading dimensions and strides multiples of 4 floats).
    /// </summary>
    public static bool SupportsTf32(DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB) =>
        a.Address % 16 == 0 && b.Address % 16 == 0 && lda % 4 == 0 && ldb % 4 == 0 && strideA % 4 == 0 && strideB % 4 == 0;

    /// <summary>The tensor-core kernel on contiguous operands (see the contiguous <see cref="Simt(ICudaDevice, bool, bool, int, int, int, int, float, DevicePtr, DevicePtr, float, DevicePtr, bool, DevicePtr, GemmEpilogue, DevicePtr, CudaStream?)"/>).</summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, DevicePtr b, float beta, DevicePtr c, bool broadcastB = false, DevicePtr bias = default,
        GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null, GemmTf32Tile tile = GemmTf32Tile.Auto)
    {
        var (lda, strideA, ldb, strideB) = Contiguous(transA, transB, m, n, k, broadcastB);
        Tf32(dev, transA, transB, batch, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, n, (long)m * n, bias, epilogue, aux, stream, tile);
    }

    /// <summary>
    /// The tile <see cref="GemmTf32Tile.Auto"/> picks: 64×64 when the 128×128 grid would not give every
    /// multiprocessor a block, or when K ≤ 128 (at most 4 slices: the pipeline never fills, and a block's
    /// fixed cost, prologue latency and epilogue, dominates, so more and smaller blocks overlap better —
    /// the batched attention products), or when the device cannot give a block the large tile's
    /// 108 KB of shared memory (consumer Ampere and Ada: 99 KB); else 128×128.
    /// </summary>
    public static GemmTf32Tile ChooseTf32Tile(DeviceInfo device, int batch, int m, int n, int k)
    {
        long largeBlocks = Launcher.CeilDiv(m, 128) * Launcher.CeilDiv(n, 128) * batch;
        bool largeFits = Tf32SharedBytes(128) <= device.MaxSharedBytesPerBlockOptIn;
        bool smallGridFits = Launcher.CeilDiv(m, 64) <= MaxGridY;
        return smallGridFits && (!largeFits || k <= 128 || largeBlocks < device.MultiprocessorCount) ? GemmTf32Tile.Small64 : GemmTf32Tile.Large128;
    }

    /// <summary>The tensor-core kernel; throws when <see cref="SupportsTf32"/> is false for the operands.</summary>
    public static void Tf32(ICudaDevice dev, bool transA, bool transB, int batch, int m, int n, int k, float alpha,
        DevicePtr a, int lda, long strideA, DevicePtr b, int ldb, long strideB, float beta, DevicePtr c, int ldc, long strideC,
        DevicePtr bias = default, GemmEpilogue epilogue = GemmEpilogue.None, DevicePtr aux = default, CudaStream? stream = null,
        GemmTf32Tile tile = GemmTf32Tile.Auto)
    {
        if (tile == GemmTf32Tile.Auto) tile = ChooseTf32Tile(dev.Info, batch, m, n, k);
        int side = tile == GemmTf32Tile.Small64 ? 64 : 128;
        string kernel = $"gemm_tf32_{side}_" + (transA ? "t" : "n") + (transB ? "t" : "n");
        CheckShape(kernel, batch, m, n, k, beta, bias, epilogue, aux);
        if (!SupportsTf32(a, lda, strideA, b, ldb, strideB))
            throw new ArgumentException($"{kernel}: A ({a}, lda {lda}, stride {strideA}) and B ({b}, ldb {ldb}, stride {strideB}) " +
                "must be 16-byte aligned with leading dimensions and strides multiples of 4; use the SIMT kernel.");
        if (Launcher.CeilDiv(m, side) > MaxGridY)
            throw new ArgumentOutOfRangeException(nameof(m), m, $"{kernel}: M = {m} needs more than {MaxGridY} blocks of {side} rows (the grid's y limit).");
        var function = Launcher.Get(dev, "gemm_tf32", kernel);
        int shared = Tf32SharedBytes(side);
        dev.SetMaxDynamicSharedBytes(function, shared);
        var grid = new Dim3((uint)Launcher.CeilDiv(n, side), (uint)Launcher.CeilDiv(m, side), (uint)batch);
        dev.Launch(function, grid, Tf32Threads, shared, stream,
            new KernelArgs().I32(m).I32(n).I32(k).F32(alpha)
                .Ptr(a).I32(lda).I64(strideA).Ptr(b).I32(ldb).I64(strideB)
                .F32(beta).Ptr(c).I32(ldc).I64(strideC).Ptr(bias).Ptr(aux).I32((int)epilogue));
    }
}
