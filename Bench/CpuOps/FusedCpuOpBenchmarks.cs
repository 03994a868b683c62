using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Random;

namespace CudaBert.Bench.CpuOps;

/// <summary>
/// Each fused primitive of the CPU backend against the separate primitives it replaces (the baseline),
/// the same arithmetic and the same results bit for bit: the fused one finishes each row while it is in cache.
/// </summary>
[Config(typeof(ShortInProcessJob))]
public class FusedCpuOpBenchmarks
{
    private const int Rows = 32 * 50, Hidden = 384, Ffn = 1536;
    private const double DropoutRate = 0.1;

    private readonly List<Tensor> tensors = [];
    private Action separate = () => { }, fused = () => { };

    /// <summary>Which fusion to time.</summary>
    [ParamsAllValues]
    public CpuFusion Fusion { get; set; }

    /// <summary>Allocates the operands of <see cref="Fusion"/> and the two ways of computing it.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        Tensor Normal(params int[] dims) => Keep(Tensor.Normal(new Shape(dims), generator));
        Tensor Empty(params int[] dims) => Keep(Tensor.Zeros(new Shape(dims)));
        var cpu = CpuBackend.Instance;
        switch (Fusion)
        {
            case CpuFusion.LinearBiasGelu:
            {
                Tensor x = Normal(Rows, Hidden), w = Normal(Ffn, Hidden), b = Normal(Ffn), z = Empty(Rows, Ffn), y = Empty(Rows, Ffn);
                separate = () => { cpu.Gemm(false, true, 1, Rows, Ffn, Hidden, 1, x, w, 0, z); cpu.AddBias(z, b, z); cpu.Gelu(z, y); };
                fused = () => cpu.LinearBiasGelu(x, w, b, z, y);
                break;
            }
            case CpuFusion.DropoutResidualLayerNorm:
            {
                Tensor x = Normal(Rows, Hidden), residual = Normal(Rows, Hidden), gamma = Normal(Hidden), beta = Normal(Hidden);
                Tensor dropped = Empty(Rows, Hidden), sum = Empty(Rows, Hidden), y = Empty(Rows, Hidden), mean = Empty(Rows), rstd = Empty(Rows);
                separate = () =>
                {
                    cpu.Dropout(x, DropoutRate, 7, 0, dropped);
                    cpu.Add(dropped, residual, sum);
                    cpu.LayerNorm(sum, gamma, beta, 1e-12, y, mean, rstd);
                };
                fused = () => cpu.DropoutResidualLayerNorm(x, DropoutRate, 7, 0, residual, gamma, beta, 1e-12, sum, y, mean, rstd);
                break;
            }
        }
    }

    /// <summary>Frees the operands.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var tensor in tensors) tensor.Dispose();
        tensors.Clear();
    }

    /// <summary>The separate primitives, one after the other (what the unfused ops run).</summary>
    [Benchmark(Baseline = true, Description = "separate")]
    public void Separate() => separate();

    /// <summary>The fused primitive.</summary>
    [Benchmark(Description = "fused")]
    public void Fused() => fused();

    private Tensor Keep(Tensor tensor)
    {
        tensors.Add(tensor);
        return tensor;
    }

    /// <summary>A short in-process job: one launch, 2 warm-up and 9 measured iterations.</summary>
    public class ShortInProcessJob : ManualConfig
    {
        /// <summary>The job.</summary>
        public ShortInProcessJob() =>
            AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(9).WithId("AllCores"));
    }
}
