using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CudaBert.Bench.Columns;

/// <summary>
/// Throughput of a case divided by the peer's (the method described as <paramref name="peerDescription"/>)
/// on the same parameters in the same run: 1.00 = as fast, above 1 = faster. The peer's own rows show "-".
/// </summary>
public sealed class PeerRatioColumn(string peerDescription, ThroughputColumn throughput) : IColumn
{
    public string Id => $"{nameof(PeerRatioColumn)}.{peerDescription}";
    public string ColumnName => $"vs {peerDescription}";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"{throughput.ColumnName} / {peerDescription}'s {throughput.ColumnName} on the same parameters, same run";

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
            other.Job.Id == benchmarkCase.Job.Id &&
            other.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo);
        double? ours = throughput.Throughput(summary, benchmarkCase);
        double? theirs = peer is null ? null : throughput.Throughput(summary, peer);
        return ours is null || theirs is null ? "-" : (ours.Value / theirs.Value).ToString("F2");
    }
}
