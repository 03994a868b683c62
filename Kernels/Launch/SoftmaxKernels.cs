using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/softmax.cu: attention's scaled, additively masked softmax over the last axis, and
/// its backward. Scores [B, H, Sq, Sk] are rows × cols with rows = B·H·Sq, cols = Sk; the mask is
/// [B, Sk] and row r uses mask row r / rowsPerBatch (rowsPerBatch = H·Sq).
/// Launch: one warp per row, 8 rows per 256-thread block, ⌈rows/8⌉ blocks. Rows of at most 512 columns
/// (every attention row of BERT) use the variant that keeps the row in registers and reads it once, with
/// float4 accesses when cols % 4 == 0 and the pointers are 16-byte aligned.
/// </summary>
public static class SoftmaxKernels
{
    const int RowsPerBlock = Launcher.Threads / 32;

    /// <summary>Longest row the *_short kernels hold in registers: 32 lanes × 16 columns.</summary>
    public const int ShortRowMaxColumns = 32 * 16;

    // Rows of at most 512 columns: the register kernels, float4 when every row starts on a 16-byte boundary (a null mask is aligned).
    static string Variant(string kernel, int cols, params ReadOnlySpan<DevicePtr> pointers) =>
        Launcher.ShortRowVariant(kernel, cols, ShortRowMaxColumns, pointers);

    /// <summary>probs = softmax(scale·scores + mask) per row; <paramref name="mask"/> may be <see cref="DevicePtr.Null"/>.</summary>
    public static void Forward(ICudaDevice dev, DevicePtr scores, DevicePtr mask, DevicePtr probs, int rows, int cols, int rowsPerBatch,
        float scale, CudaStream? stream = null)
    {
        const string kernel = "scaled_masked_softmax_forward_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        Launcher.Positive(rowsPerBatch, kernel);
        if (rows % rowsPerBatch != 0)
            throw new ArgumentException($"{kernel}: rows = {rows} is not a multiple of rowsPerBatch = {rowsPerBatch} (heads × queries).", nameof(rowsPerBatch));
        dev.Launch(Launcher.Get(dev, "softmax", Variant(kernel, cols, scores, mask, probs)), (int)Launcher.CeilDiv(rows, RowsPerBlock), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(scores).Ptr(mask).Ptr(probs).I32(rows).I32(cols).I32(rowsPerBatch).F32(scale));
    }

    /// <summary>dscores = scale·p ⊙ (dp − Σ_j dp_j·p_j) per row (dscores may alias dprobs).</summary>
    public static void Backward(ICudaDevice dev, DevicePtr probs, DevicePtr dprobs, DevicePtr dscores, int rows, int cols, float scale,
        CudaStream? stream = null)
    {
        const string kernel = "scaled_masked_softmax_backward_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(cols, kernel);
        dev.Launch(Launcher.Get(dev, "softmax", Variant(kernel, cols, probs, dprobs, dscores)), (int)Launcher.CeilDiv(rows, RowsPerBlock), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(probs).Ptr(dprobs).Ptr(dscores).I32(rows).I32(cols).F32(scale));
    }
}
