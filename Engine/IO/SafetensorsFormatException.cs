namespace CudaBert.Engine.IO;

/// <summary>
/// A safetensors file that does not follow the format. The message names the file, the tensor
/// (when one is concerned) and the absolute byte offset in the file where the problem is.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    public SafetensorsFormatException(string file, string? tensor, long offset, string problem, Exception? inner = null)
        : base(Describe(file, tensor, offset, problem), inner)
    {
        File = file;
        Tensor = tensor;
        Offset = offset;
    }

    /// <summary>The file that was being read.</summary>
    public string File { get; }

    /// <summary>The tensor concerned, or null for a problem with the file as a whole.</summary>
    public string? Tensor { get; }

    /// <summary>Absolute byte offset in the file.</summary>
    public long Offset { get; }

    static string Describe(string file, string? tensor, long offset, string problem) =>
        tensor is null
            ? $"safetensors file '{file}', byte {offset}: {problem}"
            : $"safetensors file '{file}', tensor '{tensor}', byte {offset}: {problem}";
}
