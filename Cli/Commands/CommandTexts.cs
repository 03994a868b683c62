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

    static IEnumerable<string> Lines(TextReader reader)
    {
        while (reader.ReadLine() is { } line) yield return line;
    }
}
