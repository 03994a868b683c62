using System.CommandLine;
using CudaBert.Cli;
using CudaBert.Cli.Commands;
using CudaBert.Model.Export;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Tests.Parity.Export;

/// <summary><c>cudabert export</c>: what it writes, and the one-line error for each wrong use.</summary>
public class ExportCommandTests
{
    /// <summary>Runs <c>cudabert export ARGS</c> as the CLI's entry point does (its one-line error handling included).</summary>
    static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exitCode = CommandLineErrors.Invoke(new RootCommand { ExportCommand.Create() }, ["export", .. args], error, output);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public void OnnxFormatWritesAFileOnnxRuntimeOpens()
    {
        using var tiny = new TinyExportModel();
        string path = Path.Combine(tiny.Folder, "model.onnx");
        var (exitCode, output, error) = Run("--model", tiny.CheckpointFolder, "--format", "onnx", "--out", path);
        Assert.Equal((0, ""), (exitCode, error));
        Assert.Contains("as onnx to", output);
        using var session = new InferenceSession(path);
        Assert.Equal(["sentence_logits", "token_logits"], session.OutputNames);
    }

    [Fact]
    public void HfFormatWritesBothFolders()
    {
        using var tiny = new TinyExportModel();
        string folder = Path.Combine(tiny.Folder, "hf");
        var (exitCode, _, error) = Run("--model", tiny.CheckpointFolder, "--format", "hf", "--out", folder);
        Assert.Equal((0, ""), (exitCode, error));
        Assert.True(File.Exists(Path.Combine(folder, HuggingFaceExport.TokenClassificationFolder, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(folder, HuggingFaceExport.EncoderFolder, SentenceHeadFiles.WeightsFile)));
    }

    [Fact]
    public void AnUnknownFormatIsOneLineNamingTheChoices()
    {
        var (exitCode, _, error) = Run("--model", "anywhere", "--format", "tflite", "--out", "x");
        Assert.Equal(CommandLineErrors.UsageError, exitCode);
        Assert.StartsWith("cudabert export: ", error);
        Assert.Contains("'tflite'", error);
        Assert.Contains("'hf'", error);
        Assert.Contains("'onnx'", error);
    }

    [Fact]
    public void AMissingModelIsOneLineNamingTheFolder()
    {
        string missing = Path.Combine(Path.GetTempPath(), "cudabert-no-such-checkpoint-" + Guid.NewGuid().ToString("N"));
        string target = Path.Combine(Path.GetTempPath(), "cudabert-export-" + Guid.NewGuid().ToString("N") + ".onnx");
        var (exitCode, _, error) = Run("--model", missing, "--format", "onnx", "--out", target);
        Assert.Equal(1, exitCode);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.StartsWith("cudabert export: ", error);
        Assert.Contains(missing, error);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void AnExistingOnnxFileIsKeptWithoutForce()
    {
        using var tiny = new TinyExportModel();
        string path = Path.Combine(tiny.Folder, "model.onnx");
        File.WriteAllText(path, "older");
        var (exitCode, _, error) = Run("--model", tiny.CheckpointFolder, "--format", "onnx", "--out", path);
        Assert.Equal(1, exitCode);
        Assert.Contains("--force", error);
        Assert.Equal("older", File.ReadAllText(path));
        Assert.Equal(0, Run("--model", tiny.CheckpointFolder, "--format", "onnx", "--out", path, "--force").ExitCode);
        Assert.NotEqual("older", File.ReadAllText(path));
    }
}
