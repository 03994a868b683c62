using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/cross_entropy.cu: cross-entropy of logits [rows, classes] against int32 targets,
/// fused with log-softmax, optional class weights [classes], ignore index; the loss is the weighted
/// mean over counted rows (Σ ℓ_i / Σ w_i, as PyTorch) and the gradient is written in the same pass.
/// </summary>
public static class CrossEntropyKernels
{
    /// <summary>PyTorch's default ignore index.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>Scratch bytes: Σw (one float, padded to 16 bytes) and one loss per row.</summary>
    public static long WorkspaceBytes(int rows) => 16 + (long)rows * sizeof(float);

    /// <summary>
    /// loss[0] = Σ_i w_i·(logsumexp(z_i) − z_i[t_i]) / Σ_i w_i over rows with t_i ≠ ignoreIndex, and, when
    /// <paramref name="dlogits"/> is not null, dlogits_i = dloss[0]·w_i/Σw·(softmax(z_i) − onehot(t_i))
    /// (0 on ignored rows). <paramref name="weights"/> and <paramref name="dloss"/> are device
    /// pointers (weights may be null; dloss is required with dlogits — in training it holds the task's loss
    /// weight, known before the forward). Launches: Σw (one block), the rows (one block per row of
    /// min(256, classes rounded up to a warp) threads over the classes), the mean (one block). Vocabulary-sized rows are fine.
    /// </summary>
    public static void ForwardBackward(ICudaDevice dev, DevicePtr logits, DevicePtr targets, DevicePtr weights, int ignoreIndex,
        int rows, int classes, DevicePtr loss, DevicePtr dloss, DevicePtr dlogits, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "cross_entropy_rows_f32";
        Launcher.Positive(rows, kernel);
        Launcher.Positive(classes, kernel);
        Launcher.NotNull(workspace, kernel);
        Launcher.NotNull(loss, kernel);
        if (!dlogits.IsNull) Launcher.NotNull(dloss, kernel);
        DevicePtr weightSum = workspace, rowLoss = workspace.Offset(16);
        dev.Launch(Launcher.Get(dev, "cross_entropy", "cross_entropy_weight_sum_f32"), 1, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(targets).Ptr(weights).I32(rows).I32(classes).I32(ignoreIndex).Ptr(weightSum));
        int threads = (int)Math.Min(Launcher.Threads, Launcher.CeilDiv(classes, 32) * 32);   // whole warps, none idle on few classes
        dev.Launch(Launcher.Get(dev, "cross_entropy", kernel), rows, threads, 0, stream,
            new KernelArgs().Ptr(logits).Ptr(targets).Ptr(weights).I32(classes).I32(ignoreIndex).Ptr(dloss).Ptr(weightSum).Ptr(rowLoss).Ptr(dlogits));
        dev.Launch(Launcher.Get(dev, "cross_entropy", "cross_entropy_mean_f32"), 1, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(rowLoss).I32(rows).Ptr(weightSum).Ptr(loss));
    }
}
