using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CudaBert.Bench.Columns;

namespace CudaBert.Bench.CpuOps;

/// <summary>A short in-process job with the GB/s and "vs copy" columns.</summary>
public class CpuOpBenchmarkConfig : ManualConfig
{
    public const string CopyDescription = "copy";

    public CpuOpBenchmarkConfig()
    {
        AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance)
            .WithLaunchCount(1).WithWarmupCount(2).WithIterationCount(7).WithId("AllCores"));
        var gbps = new ThroughputColumn("GB/s", "Bytes of the tensors read and written",
            benchmark => benchmark.Parameters.Items.Select(p => p.Value).OfType<CpuOp>().Select(op => (double?)CpuOpBenchmarks.BytesMoved(op)).FirstOrDefault());
        AddColumn(gbps, new PeerRatioColumn(CopyDescription, gbps));
    }
}
