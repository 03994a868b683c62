namespace CudaBert.Model.Data;

/// <summary>How strictly data files are read.</summary>
public sealed record DataReadOptions
{
    /// <summary>
    /// False (the default): the first bad line throws a <see cref="DataFormatException"/>.
    /// True: bad lines are skipped and counted in <see cref="DataReadReport"/> instead.
    /// </summary>
    public bool SkipBadLines { get; init; }

    /// <summary>The default: stop at the first bad line.</summary>
    public static DataReadOptions Strict { get; } = new();
}

/// <summary>What a reader did: how many examples it read and every line it skipped, with the reason.</summary>
public sealed class DataReadReport
{
    readonly List<DataFormatException> _skipped = [];
    /// <summary>Examples the reader returned.</summary>
    public int Examples { get; internal set; }
    /// <summary>One entry per skipped line (or sentence), in file order, each naming the file, line and problem.</summary>
    public IReadOnlyList<DataFormatException> Skipped => _skipped;

    internal void Fail(DataReadOptions options, DataFormatException error)
    {
        if (!options.SkipBadLines) throw error;
        _skipped.Add(error);
    }

    /// <summary>A one-line summary: the example count, and the number of skipped lines with the first reason.</summary>
    public override string ToString() =>
        _skipped.Count == 0 ? $"{Examples} examples" : $"{Examples} examples, {_skipped.Count} bad lines skipped (first: {_skipped[0].Message})";
}
