using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.Launch;

/// <summary>
/// Kernels/bert/embedding.cu: embedding lookup y[i] = table[ids[i]] and its deterministic backward
/// dtable[v] += Σ_{ids[i] = v} dy[i], for a row-major float32 table [vocab, dim] and n int32 ids.
/// </summary>
public static class EmbeddingKernels
{
    /// <summary>
    /// Launch: one block per id, threads over the row (min(dim rounded up to a warp, 256) threads).
    /// An id outside [0, vocab) is skipped; when <paramref name="badPosition"/> is not null (an int32
    /// the caller set to int.MaxValue) it receives the smallest such position.
    /// </summary>
    public static void Gather(ICudaDevice dev, DevicePtr table, DevicePtr ids, DevicePtr y, int n, int vocab, int dim,
        DevicePtr badPosition = default, CudaStream? stream = null)
    {
        const string kernel = "embedding_gather_f32";
        Launcher.Positive(n, kernel);
        Launcher.Positive(vocab, kernel);
        Launcher.Positive(dim, kernel);
        dev.Launch(Launcher.Get(dev, "embedding", kernel), n, RowThreads(dim, Launcher.Threads), 0, stream,
            new KernelArgs().Ptr(table).Ptr(ids).Ptr(y).I32(n).I32(vocab).I32(dim).Ptr(badPosition));
    }

    /// <summary>
    /// dtable[ids[i]] += dy[i] for every i, in increasing i for each row: the CPU backend's order, so
    /// the result is bit-identical to it; no atomics. Launch: one warp per position (the warp of the
    /// first position holding an id owns that row and keeps up to 1024 of its columns in registers).
    /// Out-of-range ids are skipped (check them with <see cref="Gather"/> in the forward).
    /// </summary>
    public static void Backward(ICudaDevice dev, DevicePtr dy, DevicePtr ids, DevicePtr dtable, int n, int vocab, int dim,
        CudaStream? stream = null)
    {
        const string kernel = "embedding_backward_f32";
        Launcher.Positive(n, kernel);
        Launcher.Positive(vocab, kernel);
        Launcher.Positive(dim, kernel);
        dev.Launch(Launcher.Get(dev, "embedding", kernel), n, 32, 0, stream,
            new KernelArgs().Ptr(dy).Ptr(ids).Ptr(dtable).I32(n).I32(vocab).I32(dim));
    }

    /// <summary>Threads for one row of <paramref name="dim"/> floats: whole warps, at most <paramref name="max"/>.</summary>
    static int RowThreads(int dim, int max) => (int)Math.Min(max, Launcher.CeilDiv(dim, 32) * 32);
}
