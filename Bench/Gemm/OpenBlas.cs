using System.Runtime.InteropServices;

namespace CudaBert.Bench.Gemm;

/// <summary>
/// OpenBLAS's <c>cblas_sgemm</c>, the peer our GEMM is measured against, bound at run time from
/// Debian's <c>libopenblas0-pthread</c> (or any libopenblas on the loader path). Absent library ⇒
/// <see cref="TryLoad"/> returns null and the benchmarks run without the peer.
/// </summary>
internal sealed unsafe class OpenBlas
{
    private const int RowMajor = 101, NoTrans = 111, Trans = 112;

    private static readonly string[] Candidates =
    [
        "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "/usr/lib/aarch64-linux-gnu/openblas-pthread/libopenblas.so.0",
        "libopenblas.so.0",
        "libopenblas.so",
    ];

    private readonly delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> sgemm;
    private readonly delegate* unmanaged<byte*> coreName;
    private readonly delegate* unmanaged<int> numThreads;
    private readonly delegate* unmanaged<int, void> setNumThreads;

    private OpenBlas(nint library, string path)
    {
        Path = path;
        sgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)
            NativeLibrary.GetExport(library, "cblas_sgemm");
        coreName = (delegate* unmanaged<byte*>)NativeLibrary.GetExport(library, "openblas_get_corename");
        numThreads = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "openblas_get_num_threads");
        setNumThreads = (delegate* unmanaged<int, void>)NativeLibrary.GetExport(library, "openblas_set_num_threads");
    }

    /// <summary>The file that was loaded.</summary>
    public string Path { get; }

    /// <summary>The kernel family OpenBLAS picked for this CPU (OPENBLAS_CORETYPE overrides it).</summary>
    public string CoreName => Marshal.PtrToStringAnsi((nint)coreName()) ?? "?";

    /// <summary>Threads OpenBLAS uses (all cores unless OPENBLAS_NUM_THREADS says otherwise).</summary>
    public int Threads => numThreads();

    /// <summary>Limits OpenBLAS to <paramref name="threads"/> threads (it starts with one per core).</summary>
    public void SetThreads(int threads) => setNumThreads(threads);

    /// <summary>The library, or null (with the paths tried in <paramref name="why"/>) when it is not installed.</summary>
    public static OpenBlas? TryLoad(out string why)
    {
        foreach (string candidate in Candidates)
            if (NativeLibrary.TryLoad(candidate, out nint library))
            {
                why = "";
                return new OpenBlas(library, candidate);
            }
        why = $"OpenBLAS not found (tried {string.Join(", ", Candidates)}); install it with `apt-get install -y libopenblas0-pthread`.";
        return null;
    }

    /// <summary>
    /// Row-major C = alpha·op(A)·op(B) + beta·C, the same contract as CpuGemm.Sgemm, on the
    /// matrices starting at the given offsets of the arrays.
    /// </summary>
    public void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        float[] a, long offsetA, int lda, float[] b, long offsetB, int ldb, float beta, float[] c, long offsetC, int ldc)
    {
        // OpenBLAS trusts its pointers: check that each stored matrix lies inside its array.
        CheckInside("A", a, offsetA, transA ? k : m, lda);
        CheckInside("B", b, offsetB, transB ? n : k, ldb);
        CheckInside("C", c, offsetC, m, ldc);
        fixed (float* pa = a, pb = b, pc = c)
            sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, m, n, k, alpha,
                pa + offsetA, lda, pb + offsetB, ldb, beta, pc + offsetC, ldc);
    }

    private static void CheckInside(string name, float[] array, long offset, int rows, int ld)
    {
        if (offset < 0 || offset + (long)rows * ld > array.Length)
            throw new ArgumentException($"OpenBLAS sgemm: {name} ({rows} rows of stride {ld} at offset {offset}) " +
                $"does not fit in its array of {array.Length} floats.", name.ToLowerInvariant());
    }
}
