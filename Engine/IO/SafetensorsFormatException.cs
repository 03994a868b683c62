namespace CudaBert.Engine.IO;

/// <summary>
/// A safetensors file that does not follow the format. The message names the file, the tensor
/// (when one is concerned) and the absolute byte offset in the file where the problem is.
/// </summary>
public sealed class SafetensorsFormatException : Exception
{
    /// <summary>A format error in <paramref name="file"/> at absolute byte <paramref name="offset"/>.</summary>
    /// <param name="file">Path of the file being read.</param>
    /// <param name="tensor">The tensor concerned, or null for the file as a whole.</param>
    /// <param name="offset">Absolute byte offset in the file where the problem is.</param>
    /// <param name="problem">What is wrong, in a few words; the message prefixes file, tensor and offset.</param>
    /// <param name="inner">The exception that revealed the problem, if any (e.g. a JSON parse error).</param>
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
