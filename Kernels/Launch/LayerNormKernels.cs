using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/layernorm.cu: layer normalisation over the last axis of a row-major [rows, cols]
/// float32 matrix (y = (x − μ)·rstd·γ + β, biased variance), saving μ and rstd per row; the fused
/// residual variant; and the backward (dx, dγ, dβ) with deterministic reductions.
/// </summary>
public static class LayerNormKernels
{
    const int RowsPerBlock = Launcher.Threads / 32;

    /// <summary>
    /// Target number of row chunks (blocks) of the backward: enough blocks to fill a large GPU (two 8-warp blocks
    /// per multiprocessor on an H100/H200, two rows per warp at BERT-base's 4096 rows), few partial rows to add.
    /// </summary>
    const int BackwardChunks = 256;

    /// <summary>Chunks the backward's second pass adds in parallel per column (blockDim.y of layernorm_backward_finish_f32).</summary>
    const int FinishLanes = 8;

    /// <summary>The backward keeps 2·cols floats of dγ, dβ per block in shared memory: 48 KiB without opting in to more.</summary>
    const int MaxBackwardCols = 48 * 1024 / (2 * sizeof(float));

    /// <summary>Longest row the *_short forward kernels hold in registers: 32 lanes × 32 columns.</summary>
    public const int ShortRowMaxColumns = 32 * 32;

    // Rows of at most 1024 columns: the register kernels, float4 when cols % 4 == 0 and every pointer is 16-byte aligned.
    static string Variant(string kernel, int cols, params ReadOnlySpan<DevicePtr> pointers) =>
        Launcher.ShortRowVariant(kernel, cols, ShortRowMaxColumns, pointers);

    /// <summary>
    /// Launch: one warp per row, 8 rows per 256-thread block (rows up to 1024 columns held in registers, read and
    /// written with float4 accesses when cols % 4 == 0 and the pointers are 16-byte aligned).
    /// </summary>
    public static void Forward(ICudaDevice dev, DevicePtr x, DevicePtr gamma, DevicePtr beta, DevicePtr y, DevicePtr mean, DevicePtr rstd,
        int rows, int cols, float eps, CudaStream? stream = null)
    {
        const string kernel = "layernorm_forward_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        dev.Launch(Launcher.Get(dev, "layernorm", Variant(kernel, cols, x, gamma, beta, y)), (int)Launcher.CeilDiv(rows, RowsPerBlock), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(gamma).Ptr(beta).Ptr(y).Ptr(mean).Ptr(rstd).I32(rows).I32(cols).F32(eps));
    }

    /// <summary>sum = x + residual (kept for the backward), y = LayerNorm(sum). Launch as <see cref="Forward"/>.</summary>
    public static void ResidualForward(ICudaDevice dev, DevicePtr x, DevicePtr residual, DevicePtr gamma, DevicePtr beta, DevicePtr sum,
        DevicePtr y, DevicePtr mean, DevicePtr rstd, int rows, int cols, float eps, CudaStream? stream = null)
    {
        const string kernel = "layernorm_residual_forward_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        dev.Launch(Launcher.Get(dev, "layernorm", Variant(kernel, cols, x, residual, gamma, beta, sum, y)), (int)Launcher.CeilDiv(rows, RowsPerBlock), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(residual).Ptr(gamma).Ptr(beta).Ptr(sum).Ptr(y).Ptr(mean).Ptr(rstd).I32(rows).I32(cols).F32(eps));
    }

    /// <summary>Bytes of scratch device memory <see cref="Backward"/> needs: per-chunk partial dγ and dβ.</summary>
    public static long BackwardWorkspaceBytes(int rows, int cols) => 2L * Chunking(rows).Chunks * cols * sizeof(float);

    /// <summary>
    /// dx, and dγ, dβ overwritten with their sums over rows. Pass 1: block k owns chunk k of the rows and
    /// writes dx and the chunk's partial dγ, dβ into <paramref name="workspace"/> ([chunks][2·cols]).
    /// Rows of at most 1024 columns: one warp per row, 8 warps per block, the row held in registers
    /// (float4 accesses when cols % 4 == 0 and dy, x, dx, γ are 16-byte aligned; rows of at most 768 such
    /// columns take a variant with smaller register arrays), dγ, dβ accumulated in registers. Longer rows:
    /// the whole block on one row at a time (min(256, cols rounded up to a warp) threads), dγ, dβ in
    /// dynamic shared memory (2·cols floats). Pass 2: one launch adds the partials
    /// of dγ and dβ over the chunks. No atomics: deterministic.
    /// </summary>
    public static void Backward(ICudaDevice dev, DevicePtr dy, DevicePtr x, DevicePtr gamma, DevicePtr mean, DevicePtr rstd,
        DevicePtr dx, DevicePtr dgamma, DevicePtr dbeta, int rows, int cols, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "layernorm_backward_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        Launcher.NotNull(workspace, kernel);
        if (cols > MaxBackwardCols)
            throw new ArgumentOutOfRangeException(nameof(cols), cols, $"{kernel}: cols = {cols} needs {2 * cols * sizeof(float)} bytes of shared memory; at most {MaxBackwardCols} columns fit in 48 KiB.");
        var (chunks, rowsPerChunk) = Chunking(rows);
        string variant = kernel;
        int threads = Launcher.Threads;
        bool vec4 = Launcher.Float4Aligned(cols, dy, x, dx, gamma);
        if (vec4 && cols <= 768)
            variant = "layernorm_backward_768_vec4_f32";            // 128 registers: two blocks per multiprocessor
        else if (cols <= ShortRowMaxColumns)
            variant = vec4 ? "layernorm_backward_short_vec4_f32" : "layernorm_backward_short_f32";
        else
            threads = (int)Math.Min(Launcher.Threads, Launcher.CeilDiv(cols, 32) * 32);
        dev.Launch(Launcher.Get(dev, "layernorm", variant), chunks, threads, 2 * cols * sizeof(float), stream,
            new KernelArgs().Ptr(dy).Ptr(x).Ptr(gamma).Ptr(mean).Ptr(rstd).Ptr(dx).Ptr(workspace)
                .I32(rows).I32(cols).I32(rowsPerChunk));
        dev.Launch(Launcher.Get(dev, "layernorm", "layernorm_backward_finish_f32"), (int)Launcher.CeilDiv(2L * cols, 32), new Dim3(32, FinishLanes), 0, stream,
            new KernelArgs().Ptr(workspace).Ptr(dgamma).Ptr(dbeta).I32(chunks).I32(cols));
    }

    // Chunks of a multiple of 8 rows (one row per warp of a block at a time, at least 8), about BackwardChunks
    // of them, every one non-empty.
    static (int Chunks, int RowsPerChunk) Chunking(int rows)
    {
        int rowsPerChunk = (int)(RowsPerBlock * Launcher.CeilDiv(rows, (long)RowsPerBlock * BackwardChunks));
        return ((int)Launcher.CeilDiv(rows, rowsPerChunk), rowsPerChunk);
    }
}
