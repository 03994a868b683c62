using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CudaBert.Bench.Columns;

namespace CudaBert.Bench.Gemm;

/// <summary>
/// A short in-process job (a few minutes for the whole suite), the GFLOP/s and "vs OpenBLAS"
/// columns, and the peer's benchmarks filtered out with a message when OpenBLAS is not installed.
/// </summary>
public class GemmBenchmarkConfig : ManualConfig
{
    public const string PeerDescription = "OpenBLAS";

    // BenchmarkDotNet builds the config more than once; the machine line is printed once.
    private static bool announced;

    public GemmBenchmarkConfig() : this(Job.Default.WithId("AllCores"))
    {
    }

    protected GemmBenchmarkConfig(Job job)
    {
        // In-process: OpenBLAS reads OPENBLAS_* variables when it is loaded, so the environment of
        // the documented command is exactly what it sees. Seven measured iterations of at least
        // 0.5 s per case keep the whole suite at a few minutes; the columns use the median, which a
        // shared machine's bursts of other work move less than the mean.
        AddJob(job.WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7));
        var gflops = new ThroughputColumn("GFLOP/s", "Floating-point operations (2·M·N·K)",
            benchmark => benchmark.Parameters.Items.Select(p => p.Value).OfType<GemmShape>().FirstOrDefault()?.Flops);
        AddColumn(gflops, new PeerRatioColumn(PeerDescription, gflops));
        WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(32)); // whole shape names

        var peer = OpenBlas.TryLoad(out string why);
        bool firstConfig = !announced;
        announced = true;
        if (peer is null)
        {
            if (firstConfig)
                Console.WriteLine($"GEMM benchmarks: skipping the OpenBLAS peer. {why}");
            AddFilter(new SimpleFilter(benchmark => benchmark.Descriptor.WorkloadMethodDisplayInfo != PeerDescription));
        }
        else if (firstConfig)
        {
            Console.WriteLine($"GEMM benchmarks: OpenBLAS {peer.Path}, core {peer.CoreName}, {peer.Threads} threads; " +
                $"CudaBert micro-kernel {Engine.Cpu.CpuGemm.DefaultKernel}, {Environment.ProcessorCount} threads; " +
                $"OPENBLAS_CORETYPE={Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") ?? "(unset)"}.");
        }
    }
}

/// <summary>The same, timed by the benchmark thread's CPU time (<see cref="ThreadCpuClock"/>).</summary>
public class GemmSingleThreadConfig() : GemmBenchmarkConfig(Job.Default.WithClock(new ThreadCpuClock()).WithId("OneThread-CpuTime"));
