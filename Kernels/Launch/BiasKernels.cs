using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/bias.cu and column_sum.cu: a Linear layer's bias add and the bias gradient
/// (the sum over rows), for a row-major [rows, cols] float32 matrix.
/// </summary>
public static class BiasKernels
{
    /// <summary>Rows per chunk of the column sum's first pass (more when there would be over 65535 chunks).</summary>
    const int MinRowsPerChunk = 64;
    const int MaxGridY = 65535;

    /// <summary>Blocks per multiprocessor the bias add's grid aims at (its rows loop gives each thread several rows).</summary>
    const int BiasBlocksPerMultiprocessor = 16;

    /// <summary>
    /// y[r][c] = x[r][c] + bias[c] (y may alias x). Launch: block 256, each thread owning 4 columns (float4, when
    /// cols % 4 == 0 and the pointers are 16-byte aligned) or 1; grid (⌈cols / (256 · that)⌉, G) with G =
    /// min(rows, 65535, ~16 blocks per multiprocessor in all); blocks walk rows blockIdx.y, + G, ...
    /// </summary>
    public static void Add(ICudaDevice dev, DevicePtr x, DevicePtr bias, DevicePtr y, int rows, int cols, CudaStream? stream = null)
    {
        Launcher.Positive(rows, "bias_add_f32");
        Launcher.Positive(cols, "bias_add_f32");
        bool vec4 = Launcher.Float4Aligned(cols, x, bias, y);
        long columnBlocks = Launcher.CeilDiv(vec4 ? cols / 4 : cols, Launcher.Threads);
        long fill = Launcher.CeilDiv((long)Math.Max(1, dev.Info.MultiprocessorCount) * BiasBlocksPerMultiprocessor, columnBlocks);
        var grid = new Dim3((uint)columnBlocks, (uint)Math.Min(Math.Min(rows, MaxGridY), fill));
        dev.Launch(Launcher.Get(dev, "bias", vec4 ? "bias_add_vec4_f32" : "bias_add_f32"), grid, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(bias).Ptr(y).I32(rows).I32(cols));
    }

    /// <summary>Bytes of scratch device memory <see cref="ColumnSum"/> needs for this shape (0 when one pass suffices).</summary>
    public static long ColumnSumWorkspaceBytes(int rows, int cols) =>
        Chunks(rows) == 1 ? 0 : (long)Chunks(rows) * cols * sizeof(float);

    /// <summary>
    /// sums[c] = Σ_r x[r][c] (the bias gradient), deterministic: pass 1 sums chunks of 64 rows into
    /// workspace[chunk][c] (grid (⌈cols/32⌉, chunks), block (32, 8)); pass 2 adds the chunks (grid ⌈cols/32⌉,
    /// block (32, 8): 8 threads per column, each every 8th chunk, their sums added in a fixed order). With one chunk, pass 1 writes <paramref name="sums"/> directly.
    /// <paramref name="workspace"/> holds <see cref="ColumnSumWorkspaceBytes"/> bytes.
    /// </summary>
    public static void ColumnSum(ICudaDevice dev, DevicePtr x, DevicePtr sums, int rows, int cols, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "column_sum_partial_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        int rowsPerChunk = RowsPerChunk(rows), chunks = Chunks(rows);
        if (chunks > 1) Launcher.NotNull(workspace, kernel);
        DevicePtr partial = chunks == 1 ? sums : workspace;
        var grid = new Dim3((uint)Launcher.CeilDiv(cols, 32), (uint)chunks);
        dev.Launch(Launcher.Get(dev, "column_sum", kernel), grid, new Dim3(32, 8), 0, stream,
            new KernelArgs().Ptr(x).Ptr(partial).I32(rows).I32(cols).I32(rowsPerChunk));
        if (chunks > 1)
            FinishColumnSum(dev, workspace, sums, chunks, cols, stream);
    }

    /// <summary>sums[c] = Σ_k partial[k][c]: the second pass. Block (32, 8): 8 threads per column add every 8th chunk, then their sums in order.</summary>
    static void FinishColumnSum(ICudaDevice dev, DevicePtr partial, DevicePtr sums, int chunks, int cols, CudaStream? stream)
    {
        dev.Launch(Launcher.Get(dev, "column_sum", "column_sum_finish_f32"), (int)Launcher.CeilDiv(cols, 32), new Dim3(32, 8), 0, stream,
            new KernelArgs().Ptr(partial).Ptr(sums).I32(chunks).I32(cols));
    }

    static int RowsPerChunk(int rows) => (int)Math.Max(MinRowsPerChunk, Launcher.CeilDiv(rows, MaxGridY));
    static int Chunks(int rows) => (int)Launcher.CeilDiv(rows, RowsPerChunk(rows));
}
