using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/adamw.cu and grad_norm.cu: one AdamW step over a flat parameter buffer in one launch,
/// and the global gradient norm (sum of squares in double, deterministic two-pass reduction) with
/// the clipping factor computed on the device.
/// </summary>
public static class OptimizerKernels
{
    /// <summary>Blocks of the sum of squares' first pass at most; also the length of its second pass.</summary>
    const int MaxPartials = 1024;

    /// <summary>
    /// θ, m, v ← one AdamW update (as torch.optim.AdamW; <paramref name="step"/> counts from 1) of
    /// <paramref name="n"/> float32 elements. <paramref name="gradScale"/>, when not null, is a device
    /// float the gradients are multiplied by first (the clip factor from <see cref="SumOfSquares"/>).
    /// The step size and bias corrections are computed here in double and rounded to float once.
    /// Launch: a grid-stride loop, 256 threads per block.
    /// </summary>
    public static void AdamWStep(ICudaDevice dev, DevicePtr param, DevicePtr grad, DevicePtr expAvg, DevicePtr expAvgSq, long n,
        double learningRate, double beta1, double beta2, double eps, double weightDecay, long step, DevicePtr gradScale = default,
        CudaStream? stream = null)
    {
        const string kernel = "adamw_step_f32";
        Launcher.Positive(n, kernel);
        Launcher.Positive(step, kernel);
        var args = new KernelArgs().Ptr(param).Ptr(grad).Ptr(expAvg).Ptr(expAvgSq).I64(n)
            .F32((float)(1 - learningRate * weightDecay))
            .F32((float)beta1).F32((float)(1 - beta1))
            .F32((float)beta2).F32((float)(1 - beta2))
            .F32((float)(learningRate / (1 - Math.Pow(beta1, step))))
            .F32((float)Math.Sqrt(1 - Math.Pow(beta2, step)))
            .F32((float)eps)
            .Ptr(gradScale);
        dev.Launch(Launcher.Get(dev, "adamw", kernel), Launcher.GridStrideBlocks(dev, n), Launcher.Threads, 0, stream, args);
    }

    /// <summary>Scratch bytes <see cref="SumOfSquares"/> needs: one double per first-pass block.</summary>
    public static long SumOfSquaresWorkspaceBytes(long n) => Partials(n) * sizeof(double);

    /// <summary>
    /// total[0] (a device double) = Σ x² over <paramref name="n"/> float32 elements, accumulated in
    /// double. When <paramref name="clipScale"/> is not null it receives min(1, maxNorm / (√total + 1e-6)),
    /// PyTorch's clip_grad_norm_ factor. Pass 1: min(⌈n/256⌉, 1024) blocks, each thread a grid-stride
    /// share, one double partial per block in <paramref name="workspace"/>; pass 2: one block adds them.
    /// </summary>
    public static void SumOfSquares(ICudaDevice dev, DevicePtr x, long n, DevicePtr total, DevicePtr workspace,
        float maxNorm = 0, DevicePtr clipScale = default, CudaStream? stream = null)
    {
        const string kernel = "sum_of_squares_partial_f32";
        Launcher.Positive(n, kernel);
        Launcher.NotNull(workspace, kernel);
        int partials = Partials(n);
        dev.Launch(Launcher.Get(dev, "grad_norm", kernel), partials, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).I64(n).Ptr(workspace));
        dev.Launch(Launcher.Get(dev, "grad_norm", "sum_of_squares_finish"), 1, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(partials).Ptr(total).F32(maxNorm).Ptr(clipScale));
    }

    static int Partials(long n) => (int)Math.Clamp(Launcher.CeilDiv(n, Launcher.Threads), 1, MaxPartials);
}
