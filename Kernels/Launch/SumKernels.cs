using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/sum.cu: the sum of a whole float32 buffer (accumulated in double, a deterministic
/// two-pass reduction).
/// </summary>
public static class SumKernels
{
    /// <summary>Blocks of the sum's first pass at most; also the length of its second pass.</summary>
    const int MaxPartials = 1024;

    /// <summary>Scratch bytes <see cref="Sum"/> needs: one double per first-pass block.</summary>
    public static long SumWorkspaceBytes(long n) => Partials(n) * sizeof(double);

    /// <summary>
    /// total[0] (a device float) = Σ x over <paramref name="n"/> float32 elements, accumulated in double
    /// and rounded once. Pass 1: min(⌈n/256⌉, 1024) blocks, each thread a grid-stride share, one double
    /// partial per block in <paramref name="workspace"/>; pass 2: one block adds them in order.
    /// </summary>
    public static void Sum(ICudaDevice dev, DevicePtr x, long n, DevicePtr total, DevicePtr workspace, CudaStream? stream = null)
    {
        const string kernel = "sum_partial_f32";
        Launcher.Positive(n, kernel);
        Launcher.NotNull(workspace, kernel);
        int partials = Partials(n);
        dev.Launch(Launcher.Get(dev, "sum", kernel), partials, Launcher.Threads, 0, stream, new KernelArgs().Ptr(x).I64(n).Ptr(workspace));
        dev.Launch(Launcher.Get(dev, "sum", "sum_finish_f32"), 1, Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(partials).Ptr(total));
    }

    static int Partials(long n) => (int)Math.Clamp(Launcher.CeilDiv(n, Launcher.Threads), 1, MaxPartials);
}
