using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

[assembly: InternalsVisibleTo("CudaBert.Tests")]
[assembly: InternalsVisibleTo("CudaBert.Bench")]

namespace CudaBert.Engine.Cpu;

/// <summary>
/// Single-precision GEMM on the CPU: C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose or not.
/// A is M×K (or K×M when <c>transA</c>), B is K×N (or N×K when transB), C is M×N.
/// lda/ldb/ldc are row strides in elements. As in BLAS, beta = 0 overwrites C without reading it
/// (NaN in C does not propagate).
/// </summary>
/// <remarks>
/// Cache-blocked, packed and register-tiled (<see cref="GemmBlocking"/>), multi-threaded over all
/// cores, with an AVX-512 12×32 micro-kernel where 512-bit vectors are accelerated and an AVX2 6×16
/// one elsewhere.
/// </remarks>
public static class CpuGemm
{
    /// <summary>The micro-kernel this machine uses.</summary>
    internal static GemmKernelKind DefaultKernel { get; } =
        Vector512.IsHardwareAccelerated ? GemmKernelKind.Vector512 : GemmKernelKind.Vector256;

    /// <summary>C = alpha·op(A)·op(B) + beta·C on all cores (see the class for the layout).</summary>
    /// <exception cref="ArgumentException">A dimension is negative, a leading dimension is shorter than
    /// its row, or a span is too short for its matrix; the message names the operand and the numbers.</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Sgemm(DefaultKernel, Environment.ProcessorCount, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>
    /// Batched GEMM: <paramref name="batch"/> independent products, operands strided by strideA/B/C
    /// elements. A or B may be shared (stride 0); the C matrices must not overlap.
    /// </summary>
    /// <exception cref="ArgumentException">As for Sgemm, plus a negative stride or overlapping C matrices.</exception>
    public static void SgemmStridedBatched(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
        => SgemmStridedBatched(DefaultKernel, Environment.ProcessorCount, transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB,
            beta, c, ldc, strideC, batch);

    /// <summary>
    /// <see cref="Sgemm(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>
    /// with a chosen micro-kernel (tests run both) on at most <paramref name="maxThreads"/> threads
    /// (benchmarks compare single-threaded too).
    /// </summary>
    internal static unsafe void Sgemm(GemmKernelKind kernel, int maxThreads, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        GemmArguments.Validate(transA, transB, m, n, k, a.Length, lda, 0, b.Length, ldb, 0, c.Length, ldc, 0, 1);
        fixed (float* pa = a, pb = b, pc = c)
        {
            var problem = GemmProblem.Create(transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            Run(kernel, problem, Math.Max(1, maxThreads));
        }
    }

    /// <summary>The batched product with a chosen micro-kernel on at most <paramref name="maxThreads"/> threads.</summary>
    /// <remarks>
    /// Many small products (attention: batch·heads matrices of S×S) run one per thread; a few large
    /// ones run one after another, each over all the threads.
    /// </remarks>
    internal static unsafe void SgemmStridedBatched(GemmKernelKind kernel, int maxThreads, bool transA, bool transB, int m, int n, int k,
        float alpha, ReadOnlySpan<float> a, int lda, long strideA, ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
    {
        GemmArguments.Validate(transA, transB, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB,
            c.Length, ldc, strideC, batch);
        fixed (float* pa = a, pb = b, pc = c)
        {
            float* baseA = pa, baseB = pb, baseC = pc;
            GemmProblem Item(int i) => GemmProblem.Create(transA, transB, m, n, k, alpha,
                baseA + i * strideA, lda, baseB + i * strideB, ldb, beta, baseC + i * strideC, ldc);

            int threads = Math.Max(1, maxThreads);
            if (batch >= threads && threads > 1)
                Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = threads }, i => Run(kernel, Item(i), 1));
            else
                for (int i = 0; i < batch; i++)
                    Run(kernel, Item(i), threads);
        }
    }

    private static void Run(GemmKernelKind kernel, in GemmProblem problem, int maxThreads)
    {
        switch (kernel)
        {
            case GemmKernelKind.Vector512:
                GemmDriver<GemmMicroKernel512>.Run(problem, maxThreads);
                break;
            case GemmKernelKind.Vector256:
                GemmDriver<GemmMicroKernel256>.Run(problem, maxThreads);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "Sgemm: unknown micro-kernel.");
        }
    }
}

/// <summary>The micro-kernels <see cref="CpuGemm"/> can run.</summary>
internal enum GemmKernelKind
{
    /// <summary><see cref="GemmMicroKernel256"/>: 6×16 tile in 256-bit vectors.</summary>
    Vector256,

    /// <summary><see cref="GemmMicroKernel512"/>: 12×32 tile in 512-bit vectors.</summary>
    Vector512,
}
