using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/permute.cu: any permutation of up to 6 axes (<see cref="Permute"/>), and the fast
/// special case of attention's head split [B, S, H, D] → [B, H, S, D] and merge (the inverse),
/// both as "swap axes 1 and 2". Launch: 256-thread blocks of T threads along a row × (256 / T) rows, a
/// grid-stride loop over the output rows; a row is D / 4 float4 vectors when D % 4 == 0 and both
/// pointers are 16-byte aligned, else D floats, and T is that count rounded up to a power of two below
/// a warp, to whole warps (at most 256) above.
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
        Launcher.Positive(a, kernel);
        Launcher.Positive(p, kernel);
        Launcher.Positive(q, kernel);
        Launcher.Positive(d, kernel);
        long n = (long)a * p * q * d;
        Launcher.Int32Extent(n, kernel);
        bool vec4 = Launcher.Float4Aligned(d, x, y);
        int units = vec4 ? d / 4 : d;                          // float4 vectors or floats per row
        // Threads along a row: a power of two up to a warp (Dh = 64 in float4s: 16, two rows per warp), whole warps beyond.
        int alongRow = units < 32 ? (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)units)
            : (int)Math.Min(Launcher.Threads, Launcher.CeilDiv(units, 32) * 32);
        int rowsPerBlock = Launcher.Threads / alongRow;
        long rows = (long)a * p * q;
        dev.Launch(Launcher.Get(dev, "permute", vec4 ? "swap_axes_1_2_vec4_f32" : kernel), Launcher.GridStrideBlocks(dev, rows * alongRow),
            new Dim3((uint)alongRow, (uint)rowsPerBlock), 0, stream, new KernelArgs().Ptr(x).Ptr(y).I32(a).I32(p).I32(q).I32(units));
    }

    const int MaxRank = 6;

    /// <summary>
    /// y = x with its axes permuted, y.shape[i] = shape[axes[i]], for 4-byte elements (float32 or int32;
    /// y must not alias x). Launch: a grid-stride loop over the output elements, 256 threads per block.
    /// </summary>
    public static void Permute(ICudaDevice dev, DevicePtr x, DevicePtr y, ReadOnlySpan<int> shape, ReadOnlySpan<int> axes, CudaStream? stream = null)
    {
        const string kernel = "permute_6d_b32";
        int rank = shape.Length;
        if (rank == 0 || rank > MaxRank || axes.Length != rank || !IsPermutation(axes))
            throw new ArgumentException($"{kernel}: axes [{string.Join(", ", axes.ToArray())}] are not a permutation of the {rank} axes of shape " +
                $"[{string.Join(", ", shape.ToArray())}] (rank 1 to {MaxRank}).", nameof(axes));
        var inputStrides = new long[rank];
        for (int i = rank - 1, stride = 1; i >= 0; stride *= shape[i], i--) inputStrides[i] = stride;
        // Output axes, front-padded to 6 with size-1 axes (any stride: their coordinate is always 0).
        var dims = new int[MaxRank];
        var strides = new long[MaxRank];
        long n = 1;
        for (int i = 0; i < MaxRank; i++)
        {
            int axis = i - (MaxRank - rank);
            dims[i] = axis < 0 ? 1 : shape[axes[axis]];
            strides[i] = axis < 0 ? 0 : inputStrides[axes[axis]];
            Launcher.Positive(dims[i], kernel);
            n *= dims[i];
        }
        var args = new KernelArgs().Ptr(x).Ptr(y).I64(n);
        foreach (int d in dims) args.I32(d);
        foreach (long s in strides) args.I64(s);
        dev.Launch(Launcher.Get(dev, "permute", kernel), Launcher.GridStrideBlocks(dev, n), Launcher.Threads, 0, stream, args);
    }

    static bool IsPermutation(ReadOnlySpan<int> axes)
    {
        var seen = new bool[axes.Length];
        foreach (int axis in axes)
        {
            if ((uint)axis >= (uint)axes.Length || seen[axis]) return false;
            seen[axis] = true;
        }
        return true;
    }
}
