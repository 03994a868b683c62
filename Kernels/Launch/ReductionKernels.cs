using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/sum.cu and convert.cu: the sum of a whole float32 buffer (accumulated in double,
/// deterministic two-pass reduction) and int32 ↔ float32 conversions.
/// </summary>
public static class ReductionKernels
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
        BertKernel.Positive(n, kernel);
        BertKernel.NotNull(workspace, kernel);
        int partials = Partials(n);
        dev.Launch(BertKernel.Get(dev, "sum", kernel), partials, BertKernel.Threads, 0, stream, new KernelArgs().Ptr(x).I64(n).Ptr(workspace));
        dev.Launch(BertKernel.Get(dev, "sum", "sum_finish_f32"), 1, BertKernel.Threads, 0, stream,
            new KernelArgs().Ptr(workspace).I32(partials).Ptr(total));
    }

    /// <summary>y = (float)x for int32 x (ids or masks to float). Launch: a grid-stride loop.</summary>
    public static void Int32ToFloat32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Convert(dev, "int32_to_float32", x, y, n, stream);

    /// <summary>y = (int)x, truncating toward zero, for float32 x. Launch: a grid-stride loop.</summary>
    public static void Float32ToInt32(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, CudaStream? stream = null) =>
        Convert(dev, "float32_to_int32", x, y, n, stream);

    static void Convert(ICudaDevice dev, string kernel, DevicePtr x, DevicePtr y, long n, CudaStream? stream)
    {
        BertKernel.Positive(n, kernel);
        dev.Launch(BertKernel.Get(dev, "convert", kernel), BertKernel.GridStrideBlocks(dev, n), BertKernel.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(y).I64(n));
    }

    static int Partials(long n) => (int)Math.Clamp(BertKernel.CeilDiv(n, BertKernel.Threads), 1, MaxPartials);
}
