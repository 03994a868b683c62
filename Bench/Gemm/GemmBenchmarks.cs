using BenchmarkDotNet.Attributes;
using CudaBert.Engine.Cpu;

namespace CudaBert.Bench.Gemm;

/// <summary>
/// Our <see cref="CpuGemm"/> against OpenBLAS <c>cblas_sgemm</c> on <see cref="GemmShape.Bert"/>,
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
        a = Random(s.M * s.K, 1);
        b = Random(s.K * s.N, 2);
        c = new float[s.M * s.N];
        openBlas = OpenBlas.TryLoad(out _);
        openBlas?.SetThreads(Threads);
    }

    [GlobalCleanup]
    public void Cleanup() => openBlas?.SetThreads(Environment.ProcessorCount);

    [Benchmark(Description = "CudaBert")]
    public void Ours() =>
        CpuGemm.Sgemm(CpuGemm.DefaultKernel, Threads, Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f,
            a, Shape.Lda, b, Shape.Ldb, 0f, c, Shape.N);

    [Benchmark(Description = GemmBenchmarkConfig.PeerDescription)]
    public void OpenBlasSgemm() =>
        openBlas!.Sgemm(Shape.TransA, Shape.TransB, Shape.M, Shape.N, Shape.K, 1f, a, Shape.Lda, b, Shape.Ldb, 0f, c, Shape.N);

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
