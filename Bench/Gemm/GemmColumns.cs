using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CudaBert.Bench.Gemm;

/// <summary>Throughput of a GEMM benchmark: 2·M·N·K floating-point operations over the median time.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Billions of floating-point operations per second (2·M·N·K / median time)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        return gflops is null ? "-" : gflops.Value.ToString("F1");
    }

    /// <summary>GFLOP/s of one case (FLOP per nanosecond), or null when it has no result or no shape.</summary>
    public static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        var shape = benchmarkCase.Parameters.Items.Select(p => p.Value).OfType<GemmShape>().FirstOrDefault();
        return statistics is null || shape is null ? null : shape.Flops / statistics.Median;
    }
}

/// <summary>
/// Our throughput divided by the peer's on the same shape in the same run (1.00 = as fast, above
/// 1 = faster). Shown on our rows; the peer's rows show "-".
/// </summary>
public sealed class PeerRatioColumn(string peerDescription) : IColumn
{
    public string Id => nameof(PeerRatioColumn);
    public string ColumnName => $"vs {peerDescription}";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"Our GFLOP/s / {peerDescription}'s GFLOP/s on the same shape, same run";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        if (benchmarkCase.Descriptor.WorkloadMethodDisplayInfo == peerDescription)
            return "-";
        var peer = summary.Reports.Select(report => report.BenchmarkCase).FirstOrDefault(other =>
            other.Descriptor.WorkloadMethodDisplayInfo == peerDescription &&
            other.Descriptor.Type == benchmarkCase.Descriptor.Type &&
            other.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo);
        double? ours = GflopsColumn.Gflops(summary, benchmarkCase);
        double? theirs = peer is null ? null : GflopsColumn.Gflops(summary, peer);
        return ours is null || theirs is null ? "-" : (ours.Value / theirs.Value).ToString("F2");
    }
}
