namespace CudaBert.Model.Data;

/// <summary>Malformed training data: names the file and the 1-based line.</summary>
public sealed class DataFormatException(string file, int line, string problem)
    : Exception($"{file}:{line}: {problem}")
{
    public string File { get; } = file;
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}
