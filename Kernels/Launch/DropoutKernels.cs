using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/dropout.cu: y = x·keep/(1 − p) with keep_i = (u_i ≥ p), u_i from Philox4x32-10 at
/// stream position offset + i under <c>seed</c>: the same bits as the CPU backend's mask
/// (Engine/Random/Philox.cs). The backward is the same call on dy with the same seed and offset.
/// Launch: a grid-stride loop, one thread per aligned group of 4 stream positions (one Philox call);
/// when offset % 4 == 0 and x, y are 16-byte aligned a group is one float4 of x and of y.
/// </summary>
public static class DropoutKernels
{
    /// <summary>
    /// Writes y = x·keep/(1 − p) over n float32 elements (y may alias x). The mask depends only on
    /// (<paramref name="seed"/>, <paramref name="offset"/> + i), so a second call with the same values drops
    /// the same elements. Throws <see cref="ArgumentOutOfRangeException"/> when n ≤ 0 or p is outside [0, 1).
    /// A non-null <paramref name="offsetShift"/> points to a ulong in device memory that the kernel adds to
    /// <paramref name="offset"/> when it runs (what a replayed graph changes between replays).
    /// </summary>
    public static void Apply(ICudaDevice dev, DevicePtr x, DevicePtr y, long n, double p, ulong seed, ulong offset, CudaStream? stream = null,
        DevicePtr offsetShift = default)
    {
        const string kernel = "dropout_f32";
        Launcher.Positive(n, kernel);
        if (!(p >= 0 && p < 1))
            throw new ArgumentOutOfRangeException(nameof(p), p, $"{kernel}: the drop probability must be in [0, 1), got {p}.");
        long groups = (long)((offset + (ulong)n + 3) / 4 - offset / 4);   // with a shift, one group more or less: the grid-stride loop covers it
        dev.Launch(Launcher.Get(dev, "dropout", kernel), Launcher.GridStrideBlocks(dev, groups), Launcher.Threads, 0, stream,
            new KernelArgs().Ptr(x).Ptr(y).I64(n).F32((float)p).F32((float)(1.0 / (1.0 - p)))
                .U32((uint)seed).U32((uint)(seed >> 32)).U64(offset).Ptr(offsetShift));
    }
}
