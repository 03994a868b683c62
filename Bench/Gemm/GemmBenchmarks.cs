using BenchmarkDotNet.Attributes;
using CudaBert.Engine.Cpu;

namespace CudaBert.Bench.Gemm;

/// <summary>
/// Our <see cref="CpuGemm"/> (strided-batched for the attention shapes) against OpenBLAS
/// <c>cblas_sgemm</c> on <see cref="GemmShape.Bert"/>,
/// same inputs, same thread count. The table adds GFLOP/s and "vs OpenBLAS" (our throughput /
/// OpenBLAS's in the same run; ≥ 0.8 is the target).
/// </summary>
public abstract class GemmBenchmarkBase
{
    private float[] a = [], b = [], c = [];
    private OpenBlas? openBlas;

    /// <summary>Threads both libraries may use.</summary>
    protected abstract int Threads { get; }

    public static IEnumerable<GemmShape> Shapes => GemmShape.Bert;

    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = GemmShape.Bert.First();

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        a = Random(checked((int)(s.StrideA * s.Batch)), 1);
        b = Random(checked((int)(s.StrideB * s.Batch)), 2);
        c = new float[s.StrideC * s.Batch];
        openBlas = OpenBlas.TryLoad(out _);
        openBlas?.SetThreads(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => openBlas?.SetThreads(Environment.ProcessorCount);

    [Benchmark(Description = "CudaBert")]
    public void Ours()
    {
        var s = Shape;
        if (s.Batch == 1)
            CpuGemm.Sgemm(CpuGemm.DefaultKernel, Threads, s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, s.Lda, b, s.Ldb, 0f, c, s.N);
        else
            CpuGemm.SgemmStridedBatched(CpuGemm.DefaultKernel, Threads, s.TransA, s.TransB, s.M, s.N, s.K, 1f,
                a, s.Lda, s.StrideA, b, s.Ldb, s.StrideB, 0f, c, s.N, s.StrideC, s.Batch);
    }

    /// <summary>OpenBLAS 0.3.21 has no batched GEMM: a batch is a loop of cblas_sgemm calls.</summary>
    [Benchmark(Description = GemmBenchmarkConfig.PeerDescription)]
    public void OpenBlasSgemm()
    {
        var s = Shape;
        for (int i = 0; i < s.Batch; i++)
            openBlas!.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, i * s.StrideA, s.Lda, b, i * s.StrideB, s.Ldb,
                0f, c, i * s.StrideC, s.N);
    }

    private static float[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }
}

/// <summary>Both libraries on all cores, timed by the wall clock: the number that matters to a user.</summary>
[Config(typeof(GemmBenchmarkConfig))]
public class GemmBenchmarks : GemmBenchmarkBase
{
    protected override int Threads => Environment.ProcessorCount;
}

/// <summary>
/// Both libraries on one thread, timed by that thread's CPU time: compares the kernels and the
/// blocking without the noise of other processes taking the cores away.
/// </summary>
[Config(typeof(GemmSingleThreadConfig))]
public class GemmSingleThreadBenchmarks : GemmBenchmarkBase
{
    protected override int Threads => 1;
}
