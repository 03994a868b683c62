using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/mean_pool.cu: masked mean pooling over the sequence, y[b] = Σ_s h[b,s]·m[b,s] /
/// max(Σ_s m[b,s], eps), with h [B, S, C], mask [B, S] float32 (1 token, 0 padding), y [B, C].
/// </summary>
public static class MeanPoolKernels
{
    /// <summary>
    /// Launch: grid (⌈C/32⌉, B), block (32, 8); thread (tx, ty) of block (bx, b) sums channel bx·32 + tx over the
    /// positions s ≡ ty (mod 8), and the 8 partial sums of a channel are added in ty order.
    /// </summary>
    public static void Forward(ICudaDevice dev, DevicePtr h, DevicePtr mask, DevicePtr y, int batch, int seq, int channels, float eps,
        CudaStream? stream = null)
    {
        const string kernel = "masked_mean_pool_forward_f32";
        Launcher.Positive(batch, kernel);
        Launcher.Positive(seq, kernel);
        Launcher.Positive(channels, kernel);
        dev.Launch(Launcher.Get(dev, "mean_pool", kernel), new Dim3((uint)Launcher.CeilDiv(channels, 32), (uint)batch),
            new Dim3(32, 8), 0, stream, new KernelArgs().Ptr(h).Ptr(mask).Ptr(y).I32(seq).I32(channels).F32(eps));
    }

    /// <summary>dh[b,s] = dy[b]·m[b,s] / max(Σ m[b], eps). Launch: one 256-thread block per (b, s) row of dh.</summary>
    public static void Backward(ICudaDevice dev, DevicePtr dy, DevicePtr mask, DevicePtr dh, int batch, int seq, int channels, float eps,
        CudaStream? stream = null)
    {
        const string kernel = "masked_mean_pool_backward_f32";
        Launcher.Positive(batch, kernel);
        Launcher.Positive(seq, kernel);
        Launcher.Positive(channels, kernel);
        dev.Launch(Launcher.Get(dev, "mean_pool", kernel), Launcher.Int32Extent((long)batch * seq, kernel), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(dy).Ptr(mask).Ptr(dh).I32(seq).I32(channels).F32(eps));
    }
}
