using System.CommandLine;
using CudaBert.Model.Inference;

namespace CudaBert.Cli.Commands;

/// <summary>The texts that tokenize, embed and predict work on: their arguments, or else the lines of standard input.</summary>
static class CommandTexts
{
    /// <summary>
    /// <paramref name="given"/> when it holds any text, else standard input's lines, read lazily: a
    /// caller that handles one line at a time (tokenize) answers each line as it arrives; one that needs
    /// them all (a batch) takes <c>ToArray()</c>.
    /// </summary>
    public static IEnumerable<string> OrStandardInput(string[]? given) => given is { Length: > 0 } ? given : Lines(Console.In);

    /// <summary>The <c>--max-length</c> option of the commands that run a model on texts.</summary>
    public static Option<int?> MaxLengthOption(string defaultText) => new("--max-length")
    {
        Description = $"Tokens per text, [CLS] and [SEP] included (default {defaultText}); longer texts are cut, with a warning.",
    };

    /// <summary>Warns on standard error that texts were cut to <paramref name="maxLength"/> tokens, naming the first few by their 1-based position.</summary>
    public static void ReportTruncation(string command, IReadOnlyList<int> truncated, int total, int maxLength)
    {
        if (truncated.Count == 0) return;
        string which = string.Join(", ", truncated.Take(5).Select(i => i + 1)) + (truncated.Count > 5 ? ", ..." : "");
        Console.Error.WriteLine($"cudabert {command}: warning: {truncated.Count} of {total} texts are longer than {maxLength} tokens and were cut " +
                                $"(text {which}); --max-length sets the limit");
    }

    /// <summary>Says on standard error that the forward pass gave up its CUDA graphs (a capture failed) and why; nothing while they are used.</summary>
    public static void ReportEagerFallback(string command, CudaGraphForward? graphs)
    {
        if (graphs?.EagerBecause is { } why) Console.Error.WriteLine($"cudabert {command}: CUDA graphs: off: {why}");
    }

    static IEnumerable<string> Lines(TextReader reader)
    {
        while (reader.ReadLine() is { } line) yield return line;
    }
}
