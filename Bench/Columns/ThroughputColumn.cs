using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CudaBert.Bench.Columns;

/// <summary>
/// Work per second of a benchmark: <c>work(case)</c> units (floating-point operations, bytes)
/// per nanosecond of median time = billions per second (GFLOP/s, GB/s).
/// </summary>
/// <param name="name">Column header, e.g. "GFLOP/s".</param>
/// <param name="legend">What the work is, for the legend under the table.</param>
/// <param name="work">Work done by one invocation of the case, or null when it has none.</param>
public sealed class ThroughputColumn(string name, string legend, Func<BenchmarkCase, double?> work) : IColumn
{
    public string Id => $"{nameof(ThroughputColumn)}.{name}";
    public string ColumnName => name;
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"{legend} per second, in billions (work / median time)";

    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, summary.Style);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Throughput(summary, benchmarkCase) is double value ? value.ToString("F1") : "-";

    /// <summary>Billions of work units per second for one case, or null without a result.</summary>
    public double? Throughput(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        return statistics is null || work(benchmarkCase) is not double units ? null : units / statistics.Median;
    }
}
