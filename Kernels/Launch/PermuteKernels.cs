using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/permute.cu: attention's head split [B, S, H, D] → [B, H, S, D] and merge (the inverse),
/// both as "swap axes 1 and 2". Launch: 256-thread blocks of (min(D rounded up to a warp, 256)) threads
/// along a row of D floats × (256 / that) rows, a grid-stride loop over the output rows.
/// </summary>
public static class PermuteKernels
{
    /// <summary>y[b][h][s][d] = x[b][s][h][d].</summary>
    public static void SplitHeads(ICudaDevice dev, DevicePtr x, DevicePtr y, int batch, int seq, int heads, int headDim, CudaStream? stream = null) =>
        SwapAxes12(dev, x, y, batch, seq, heads, headDim, stream);

    /// <summary>y[b][s][h][d] = x[b][h][s][d].</summary>
    public static void MergeHeads(ICudaDevice dev, DevicePtr x, DevicePtr y, int batch, int heads, int seq, int headDim, CudaStream? stream = null) =>
        SwapAxes12(dev, x, y, batch, heads, seq, headDim, stream);

    /// <summary>y[a][q][p][d] = x[a][p][q][d] for x of shape [A, P, Q, D] (y must not alias x).</summary>
    public static void SwapAxes12(ICudaDevice dev, DevicePtr x, DevicePtr y, int a, int p, int q, int d, CudaStream? stream = null)
    {
        const string kernel = "swap_axes_1_2_f32";
        BertKernel.Positive(a, kernel);
        BertKernel.Positive(p, kernel);
        BertKernel.Positive(q, kernel);
        BertKernel.Positive(d, kernel);
        long n = (long)a * p * q * d;
        BertKernel.Int32Extent(n, kernel);
        int alongRow = (int)Math.Min(BertKernel.Threads, BertKernel.CeilDiv(d, 32) * 32);
        int rowsPerBlock = BertKernel.Threads / alongRow;
        long rows = (long)a * p * q;
        dev.Launch(BertKernel.Get(dev, "permute", kernel), BertKernel.GridStrideBlocks(dev, rows * alongRow), new Dim3((uint)alongRow, (uint)rowsPerBlock), 0, stream,
            new KernelArgs().Ptr(x).Ptr(y).I32(a).I32(p).I32(q).I32(d));
    }
}
