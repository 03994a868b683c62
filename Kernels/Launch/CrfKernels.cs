using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/crf.cu: the negative log-likelihood of a linear-chain CRF (emissions [B, W, T], int32
/// tags [B, W] with −100 after each sequence's end, transitions [T, T], start [T], end [T]) and its
/// gradient, by the forward-backward algorithm: one block per sequence, one thread per tag.
/// </summary>
public static class CrfKernels
{
    /// <summary>The most tags a block can hold (one thread and one shared-memory slot per tag).</summary>
    public const int MaxTags = 1024;

    /// <summary>Scratch bytes of <see cref="NegativeLogLikelihood"/>: one loss per sequence.</summary>
    public static long ForwardWorkspaceBytes(int batch) => (long)batch * sizeof(float);

    /// <summary>Scratch bytes of <see cref="Gradient"/>: α [B, W, T] and per sequence (dA [T, T], dstart [T], dend [T]).</summary>
    public static long BackwardWorkspaceBytes(int batch, int words, int tags) =>
        ((long)batch * words * tags + (long)batch * (tags * tags + 2 * tags)) * sizeof(float);

    /// <summary>
    /// loss[0] = scale · Σ_b (log Z_b − score_b); a sequence with no tag or an invalid tag makes it NaN.
    /// Launches: the sequences (B blocks), then their sum in order (one block).
    /// </summary>
    public static void NegativeLogLikelihood(ICudaDevice dev, DevicePtr emissions, DevicePtr tags, DevicePtr transitions, DevicePtr start, DevicePtr end,
        int batch, int words, int tagCount, float scale, DevicePtr loss, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "crf_nll_f32";
        Check(kernel, batch, words, tagCount, workspace, loss);
        dev.Launch(Launcher.Get(dev, "crf", kernel), batch, ThreadsFor(tagCount), 0, stream,
            new KernelArgs().Ptr(emissions).Ptr(tags).Ptr(transitions).Ptr(start).Ptr(end).I32(words).I32(tagCount).Ptr(workspace));
        SumRows(dev, workspace, batch, 1, 1, scale, loss, stream);
    }

    /// <summary>
    /// The gradient of that loss times dloss[0] (a device scalar): demissions [B, W, T] (0 after each
    /// sequence's end), dtransitions [T, T], dstart [T], dend [T], each overwritten. Launches: the
    /// sequences (B blocks: forward, then backward), then one ordered sum over sequences per output.
    /// </summary>
    public static void Gradient(ICudaDevice dev, DevicePtr emissions, DevicePtr tags, DevicePtr transitions, DevicePtr start, DevicePtr end,
        int batch, int words, int tagCount, float scale, DevicePtr dloss, DevicePtr demissions, DevicePtr dtransitions, DevicePtr dstart, DevicePtr dend,
        DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "crf_nll_backward_f32";
        Check(kernel, batch, words, tagCount, workspace, demissions);
        Launcher.NotNull(dloss, kernel);
        DevicePtr alpha = workspace, partials = workspace.Offset((long)batch * words * tagCount * sizeof(float));
        dev.Launch(Launcher.Get(dev, "crf", kernel), batch, ThreadsFor(tagCount), 0, stream,
            new KernelArgs().Ptr(emissions).Ptr(tags).Ptr(transitions).Ptr(start).Ptr(end).I32(words).I32(tagCount).Ptr(dloss).F32(scale)
                .Ptr(alpha).Ptr(demissions).Ptr(partials));
        int pairs = tagCount * tagCount, stride = pairs + 2 * tagCount;
        SumRows(dev, partials, batch, stride, pairs, 1f, dtransitions, stream);
        SumRows(dev, partials.Offset((long)pairs * sizeof(float)), batch, stride, tagCount, 1f, dstart, stream);
        SumRows(dev, partials.Offset((long)(pairs + tagCount) * sizeof(float)), batch, stride, tagCount, 1f, dend, stream);
    }

    /// <summary>out[j] = scale · Σ_b rows[b·stride + j] for j &lt; n, b in order.</summary>
    static void SumRows(ICudaDevice dev, DevicePtr rows, int rowCount, int stride, int n, float scale, DevicePtr output, CudaStream? stream) =>
        dev.Launch(Launcher.Get(dev, "crf", "crf_sum_rows_f32"), Launcher.GridStrideBlocks(dev, n), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(rows).I32(rowCount).I32(stride).I32(n).F32(scale).Ptr(output));

    /// <summary>One thread per tag, in whole warps.</summary>
    static int ThreadsFor(int tagCount) => (int)Launcher.CeilDiv(tagCount, 32) * 32;

    static void Check(string kernel, int batch, int words, int tagCount, DevicePtr workspace, DevicePtr output)
    {
        Launcher.Positive(batch, kernel);
        Launcher.Positive(words, kernel);
        Launcher.Positive(tagCount, kernel);
        if (tagCount > MaxTags)
            throw new ArgumentOutOfRangeException(nameof(tagCount), tagCount, $"{kernel}: at most {MaxTags} tags (one thread per tag), got {tagCount}.");
        Launcher.Int32Extent((long)batch * words * tagCount, kernel);
        Launcher.NotNull(workspace, kernel);
        Launcher.NotNull(output, kernel);
    }
}
