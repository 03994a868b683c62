namespace CudaBert.Model.Data;

/// <summary>Malformed training data: names the file and the 1-based line.</summary>
public sealed class DataFormatException(string file, int line, string problem)
    : Exception($"{file}:{line}: {problem}")
{
    /// <summary>The data file (or folder file) that holds the bad line.</summary>
    public string File { get; } = file;
    /// <summary>The bad line's number, counted from 1.</summary>
    public int Line { get; } = line;
    /// <summary>What is wrong with the line, without the file and line prefix of <see cref="Exception.Message"/>.</summary>
    public string Problem { get; } = problem;
}
