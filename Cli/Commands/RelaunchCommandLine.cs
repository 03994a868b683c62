using System.CommandLine;
using System.CommandLine.Parsing;

namespace CudaBert.Cli.Commands;

/// <summary>The command line a launcher gives the ranks it starts: this program again, with the launcher's own options left out.</summary>
static class RelaunchCommandLine
{
    /// <summary>How to start this program again: its apphost, or <c>dotnet cudabert.dll</c>.</summary>
    public static string[] ThisProgram()
    {
        string process = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this program is unknown");
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? [process, typeof(RelaunchCommandLine).Assembly.Location] : [process];
    }

    /// <summary>The parsed command line's tokens (the subcommand first) with <paramref name="options"/> and their values left out.</summary>
    public static IEnumerable<string> Without(ParseResult parse, IReadOnlyCollection<string> options)
    {
        var tokens = parse.Tokens;
        for (int i = 0; i < tokens.Count; i++)
        {
            if (tokens[i].Type == TokenType.Option && options.Contains(tokens[i].Value)) { i++; continue; }
            yield return tokens[i].Value;
        }
    }
}
