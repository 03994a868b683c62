using System.CommandLine;
using CudaBert.Model.Bert;
using CudaBert.Model.Export;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert export --model CKPT --format hf|onnx --out PATH [--force]</c>: a trained checkpoint as
/// Hugging Face folders (<see cref="HuggingFaceExport"/>) or as one ONNX file with both heads (<see cref="OnnxExport"/>).
/// </summary>
public static class ExportCommand
{
    /// <summary>The values --format accepts.</summary>
    public static readonly IReadOnlyList<string> Formats = ["hf", "onnx"];

    /// <summary>The <c>export</c> command.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder written by `cudabert train` (OUT/checkpoint-STEP, or OUT/best for the best on dev), or the run folder OUT for its newest checkpoint.", Required = true };
        var format = new Option<string>("--format")
        {
            Description = "hf: folders for Hugging Face transformers (token-classification/ and encoder/); onnx: one ONNX file with both heads.",
            Required = true,
        };
        format.AcceptOnlyFromAmong([.. Formats]);
        var output = new Option<string>("--out", "-o") { Description = "hf: the folder to write (created if missing); onnx: the .onnx file.", Required = true };
        var force = new Option<bool>("--force") { Description = "Replace an existing ONNX file, or write into a folder that already has files." };
        var command = new Command("export", "Export a trained checkpoint for Hugging Face transformers (--format hf) or ONNX Runtime (--format onnx).")
        {
            model, format, output, force,
        };
        command.SetAction(parse =>
        {
            // Failures (a missing model, an existing file) reach CommandLineErrors as exceptions: one line, exit code 1.
            string chosen = parse.GetValue(format)!, target = Path.GetFullPath(parse.GetValue(output)!);
            string checkpoint = RunCheckpoints.Resolve(parse.GetValue(model)!);
            using var trained = MultiTaskBert.Load(checkpoint);
            var (sentenceLabels, tokenLabels) = Checkpoint.LoadLabels(checkpoint);
            if (chosen == "onnx" && File.Exists(target) && !parse.GetValue(force))
                throw new IOException($"'{target}' exists; choose another file or replace it (--force)");
            if (chosen == "onnx")
                OnnxExport.Write(target, trained, sentenceLabels, tokenLabels);
            else
                HuggingFaceExport.Write(target, trained, sentenceLabels, tokenLabels, checkpoint, parse.GetValue(force));
            parse.InvocationConfiguration.Output.WriteLine(
                $"exported {checkpoint} ({sentenceLabels.Count} sentence labels, {tokenLabels.Count} token labels) as {chosen} to {target}");
            return 0;
        });
        return command;
    }
}
