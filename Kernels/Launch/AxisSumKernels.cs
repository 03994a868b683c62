using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/axis_sum.cu: y[o, i] = scale·Σ_a x[o, a, i] over float32 x seen as [outer, n, inner]
/// (accumulated in double, rounded once), and its gradient dx[o, a, i] = scale·dy[o, i]. No atomics,
/// no workspace: each output has one owner.
/// </summary>
public static class AxisSumKernels
{
    /// <summary>
    /// The forward. inner = 1 (the last axis): a warp per output row (32·outer threads);
    /// otherwise a thread per output walking down the axis. Both are grid-stride loops.
    /// </summary>
    public static void Forward(ICudaDevice dev, DevicePtr x, DevicePtr y, long outer, int n, long inner, double scale, CudaStream? stream = null)
    {
        if (inner == 1)
        {
            const string kernel = "axis_sum_rows_f32";
            Launcher.Positive(outer, kernel);
            Launcher.Positive(n, kernel);
            dev.Launch(Launcher.Get(dev, "axis_sum", kernel), Launcher.GridStrideBlocks(dev, 32 * outer), Launcher.Threads, 0, stream,
                new KernelArgs().Ptr(x).Ptr(y).I64(outer).I32(n).F64(scale));
        }
        else
        {
            const string kernel = "axis_sum_columns_f32";
            Launcher.Positive(outer * inner, kernel);
            Launcher.Positive(n, kernel);
            dev.Launch(Launcher.Get(dev, "axis_sum", kernel), Launcher.GridStrideBlocks(dev, outer * inner), Launcher.Threads, 0, stream,
                new KernelArgs().Ptr(x).Ptr(y).I64(outer * inner).I32(n).I64(inner).F64(scale));
        }
    }

    /// <summary>dx[o, a, i] = scale·dy[o, i] for dx [outer, n, inner]. Launch: a grid-stride loop over dx.</summary>
    public static void Backward(ICudaDevice dev, DevicePtr dy, DevicePtr dx, long outer, int n, long inner, double scale, CudaStream? stream = null)
    {
        const string kernel = "axis_sum_backward_f32";
        long count = outer * n * inner;
        Launcher.Positive(count, kernel);
        dev.Launch(Launcher.Get(dev, "axis_sum", kernel), Launcher.GridStrideBlocks(dev, count), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(dy).Ptr(dx).I64(count).I32(n).I64(inner).F64(scale));
    }
}
