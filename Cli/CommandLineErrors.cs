using System.CommandLine;
using System.CommandLine.Parsing;
using CudaBert.Engine.Distributed;
using CudaBert.Engine.IO;
using CudaBert.Kernels.Device;
using CudaBert.Model.Data;
using CudaBert.Tokenizer;

namespace CudaBert.Cli;

/// <summary>
/// How <c>cudabert</c> ends when something goes wrong, in one place for every command. A usage error
/// (an unknown option, a missing argument) prints <c>cudabert COMMAND: problem</c> and exits with 2.
/// Any exception a command lets out prints one line, <c>cudabert COMMAND: message</c>, and exits with
/// 1: the message of the project's own exceptions already names the file, line, key or tensor. A stack
/// trace is printed only with <c>--verbose</c>, for any command.
/// </summary>
public static class CommandLineErrors
{
    /// <summary>Exit code when a command lets an exception out (bad data, a missing file...), after its one-line message.</summary>
    public const int Failure = 1;
    /// <summary>Exit code of a command line that does not parse (unknown option, missing or invalid argument).</summary>
    public const int UsageError = 2;

    /// <summary>
    /// Parses <paramref name="args"/> against <paramref name="root"/> (adding <c>--verbose</c> to it) and runs the command;
    /// returns the exit code. Errors go to <paramref name="error"/> (default: standard error), the command's own output to
    /// <paramref name="output"/> (default: standard output).
    /// </summary>
    public static int Invoke(RootCommand root, string[] args, TextWriter? error = null, TextWriter? output = null)
    {
        error ??= Console.Error;
        var verbose = new Option<bool>("--verbose") { Description = "On failure, print the whole exception with its stack trace.", Recursive = true };
        root.Options.Add(verbose);
        var parse = root.Parse(args);
        string prefix = Prefix(parse.CommandResult);
        if (parse.Errors.Count > 0)
        {
            foreach (var problem in parse.Errors) error.WriteLine($"{prefix}: {problem.Message}");
            error.WriteLine($"(see '{prefix} --help')");
            return UsageError;
        }
        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Error = error, Output = output ?? Console.Out });
        }
        catch (Exception e)
        {
            error.WriteLine($"{prefix}: {Describe(e)}");
            if (parse.GetValue(verbose)) error.WriteLine(e);
            return Failure;
        }
    }

    /// <summary>
    /// The message of an exception the project documents (bad input, a missing file, a device error),
    /// or, for anything else, which is a bug, its type as well and where to get the details.
    /// </summary>
    public static string Describe(Exception e)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerExceptions[0];
        return e is SafetensorsFormatException or TokenizerFormatException or DataFormatException or InvalidDataException
            or FormatException or IOException or UnauthorizedAccessException or ArgumentException or KeyNotFoundException
            or NotSupportedException or CudaException or OperationCanceledException or DataParallelLaunchException
            ? e.Message
            : $"internal error ({e.GetType().Name}): {e.Message} (run again with --verbose for the stack trace)";
    }

    /// <summary>"cudabert" and the path of subcommands, e.g. "cudabert import minilm".</summary>
    static string Prefix(CommandResult command)
    {
        var names = new List<string>();
        for (var result = command; result.Parent is CommandResult parent; result = parent) names.Insert(0, result.Command.Name);
        return string.Join(' ', ["cudabert", .. names]);
    }
}
