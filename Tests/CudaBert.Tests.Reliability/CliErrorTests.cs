using System.CommandLine;
using CudaBert.Cli;
using CudaBert.Cli.Commands;

namespace CudaBert.Tests.Reliability;

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>
/// The CLI run in-process on bad input: one line <c>cudabert COMMAND: message</c> on standard error,
/// exit code 1 (2 for a usage error), and a stack trace only with --verbose. Standard error is
/// redirected for the run, so these tests run alone.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public class CliErrorTests
{
    static (int Code, string Error) Run(params string[] args)
    {
        var root = new RootCommand("cudabert")
        {
            TrainCommand.Create(), EvalCommand.Create(), PredictCommand.Create(), TokenizeCommand.Create(), EmbedCommand.Create(),
        };
        var error = new StringWriter();
        var (standardError, standardOutput) = (Console.Error, Console.Out);
        Console.SetError(error);
        Console.SetOut(TextWriter.Null);
        try
        {
            int code = CommandLineErrors.Invoke(root, args, error);
            return (code, error.ToString().TrimEnd());
        }
        finally
        {
            Console.SetError(standardError);
            Console.SetOut(standardOutput);
        }
    }

    static void AssertOneLine(string error, string prefix)
    {
        Assert.StartsWith(prefix, error);
        Assert.DoesNotContain('\n', error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void ATruncatedWeightFileIsOneLine()
    {
        using var folder = new SeedFolder();
        using (var weights = new FileStream(folder.File("model.safetensors"), FileMode.Open)) weights.SetLength(weights.Length - 10);
        var (code, error) = Run("predict", "--model", folder.Path, "--device", "cpu", "turn on the lights");   // not a stack trace
        Assert.Equal(1, code);
        AssertOneLine(error, "cudabert predict: safetensors file");
    }

    [Fact]
    public void NprocWithoutMpirunIsOneLine()
    {
        string? path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", "");
        try
        {
            var (code, error) = Run("train", "--nproc", "2", "--device", "cpu");
            Assert.Equal(1, code);
            AssertOneLine(error, "cudabert train: --nproc 2: mpirun is not on PATH; install Open MPI");
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }

    [Fact]
    public void ANodeRankOutsideTheNodesIsOneLine()
    {
        var (code, error) = Run("train", "--nproc", "2", "--nnodes", "2", "--node-rank", "2", "--device", "cuda");
        Assert.Equal(1, code);
        AssertOneLine(error, "cudabert train: --node-rank 2: must be in [0, 2) for --nnodes 2");
    }

    [Fact]
    public void VerbosePrintsTheStackTrace()
    {
        using var folder = new SeedFolder();
        using (var weights = new FileStream(folder.File("model.safetensors"), FileMode.Open)) weights.SetLength(weights.Length - 10);
        var (code, error) = Run("predict", "--model", folder.Path, "--device", "cpu", "--verbose", "turn on the lights");
        Assert.Equal(1, code);
        Assert.StartsWith("cudabert predict: safetensors file", error);
        Assert.Contains("   at ", error);
    }

    [Fact]
    public void AMissingModelFolderIsOneLine()
    {
        var (code, error) = Run("predict", "--model", "/nonexistent/model", "hello");
        Assert.Equal(1, code);
        AssertOneLine(error, "cudabert predict: model folder not found: /nonexistent/model");
    }

    [Fact]
    public void ATokenizerJsonOfTheWrongKindIsOneLine()
    {
        using var folder = new SeedFolder(new Dictionary<string, byte[]>());
        folder.Write("t.json", "[]");
        var (code, error) = Run("tokenize", "--tokenizer", folder.File("t.json"), "hello");   // not a stack trace (InvalidOperationException)
        Assert.Equal(1, code);
        AssertOneLine(error, $"cudabert tokenize: {folder.File("t.json")}: $: expected an object");
    }

    [Fact]
    public void BadEvaluationDataIsOneLine()
    {
        using var folder = new SeedFolder();
        folder.Write("dev.jsonl", "{\"text\": \"\\ud800\", \"label\": \"x\"}\n");
        var (code, error) = Run("eval", "--model", folder.Path, "--data", folder.File("dev.jsonl"), "--device", "cpu");   // not a stack trace
        Assert.Equal(1, code);
        AssertOneLine(error, $"cudabert eval: {folder.File("dev.jsonl")}:1:");
    }

    [Fact]
    public void ANullInATrainingConfigIsOneLine()
    {
        using var folder = new SeedFolder(new Dictionary<string, byte[]>());
        folder.Write("train.json", """{"freeze": null}""");
        var (code, error) = Run("train", "--config", folder.File("train.json"), "--out", folder.File("out"));   // not a NullReferenceException's stack trace
        Assert.Equal(1, code);
        AssertOneLine(error, $"cudabert train: {folder.File("train.json")}: option freeze");
    }

    [Fact]
    public void ResumeWithoutAnOutputFolderSaysSoInsteadOfNamingAFreshFolder()
    {
        // Without --out the run folder defaults to a new timestamped one, which can hold nothing to resume.
        var (code, error) = Run("train", "--resume", "--model", "/nonexistent/encoder", "--device", "cpu");
        Assert.Equal(1, code);
        AssertOneLine(error, "cudabert train: --resume needs --out");
        Assert.DoesNotContain("cudabert-runs", error);
    }

    [Fact]
    public void AMissingRequiredOptionIsAUsageError()
    {
        var (code, error) = Run("predict", "hello");
        Assert.Equal(CommandLineErrors.UsageError, code);
        Assert.StartsWith("cudabert predict: ", error);
        Assert.Contains("--model", error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void PredictReportsTruncatedTexts()
    {
        using var folder = new SeedFolder();
        string longText = string.Join(' ', Enumerable.Repeat("turn on the lights", 10));
        var (code, error) = Run("predict", "--model", folder.Path, "--device", "cpu", "--max-length", "8", "play music", longText);
        Assert.Equal(0, code);
        Assert.Equal("cudabert predict: warning: 1 of 2 texts are longer than 8 tokens and were cut (text 2); --max-length sets the limit", error);
    }

    [Fact]
    public void EveryDocumentedExceptionIsJustItsMessage()
    {
        Assert.Equal("bad", CommandLineErrors.Describe(new InvalidDataException("bad")));
        Assert.Equal("gone", CommandLineErrors.Describe(new FileNotFoundException("gone")));
        Assert.StartsWith("internal error (NullReferenceException): ", CommandLineErrors.Describe(new NullReferenceException("oops")));
    }
}
