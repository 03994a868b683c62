using System.Collections.Concurrent;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CudaBert.Bench.Tokenizer;

/// <summary>
/// Tokenizer benchmarks: 20 iterations, allocations, the fastest iteration next to the mean (on a
/// shared machine the fastest is the one least disturbed by other processes), and per-token columns.
/// </summary>
public sealed class TokenizerBenchConfig : ManualConfig
{
    public TokenizerBenchConfig()
    {
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(20).WithLaunchCount(1));
        AddDiagnoser(MemoryDiagnoser.Default);
        AddColumn(StatisticColumn.Min);
        AddColumn(new PerTokenColumn(PerTokenColumn.Kind.TokensPerSecond), new PerTokenColumn(PerTokenColumn.Kind.BestTokensPerSecond),
            new PerTokenColumn(PerTokenColumn.Kind.BytesPerToken));
    }
}

/// <summary>
/// Millions of tokens per second (from the mean or the fastest iteration), or bytes allocated per
/// token, for one benchmark case: the case's time and allocation divided by the tokens its corpus
/// makes (see <see cref="ITokenizerBenchmark"/>).
/// </summary>
public sealed class PerTokenColumn(PerTokenColumn.Kind kind) : IColumn
{
    public enum Kind { TokensPerSecond, BestTokensPerSecond, BytesPerToken }

    static readonly ConcurrentDictionary<(string, int), long> tokenCounts = new();

    public string Id => $"{nameof(PerTokenColumn)}.{kind}";
    public string ColumnName => kind switch
    {
        Kind.TokensPerSecond => "M tokens/s",
        Kind.BestTokensPerSecond => "M tokens/s best",
        _ => "B/token",
    };
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => (int)kind;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => kind switch
    {
        Kind.TokensPerSecond => "Millions of tokens encoded per second, mean iteration ([CLS]/[SEP] included, Hugging Face's count)",
        Kind.BestTokensPerSecond => "Millions of tokens encoded per second in the fastest iteration",
        _ => "Bytes allocated per encoded token",
    };

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } statistics) return "-";
        string corpus = (string)benchmarkCase.Parameters["Corpus"];
        int maxTokens = Activator.CreateInstance(benchmarkCase.Descriptor.Type) is ITokenizerBenchmark b ? b.MaxTokensPerText : int.MaxValue;
        long tokens = tokenCounts.GetOrAdd((corpus, maxTokens), key => TokenizerCorpora.TokenCount(key.Item1, key.Item2));
        return kind switch
        {
            Kind.TokensPerSecond => (tokens / (statistics.Mean / 1e9) / 1e6).ToString("0.00"),
            Kind.BestTokensPerSecond => (tokens / (statistics.Min / 1e9) / 1e6).ToString("0.00"),
            _ => ((double)report.GcStats.GetBytesAllocatedPerOperation(benchmarkCase)! / tokens).ToString("0.00"),
        };
    }
}

/// <summary>A tokenizer benchmark: one operation encodes the whole corpus, each text cut at this many tokens.</summary>
public interface ITokenizerBenchmark
{
    int MaxTokensPerText { get; }
}
