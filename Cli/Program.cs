using System.CommandLine;
using CudaBert.Cli.Commands;

// `cudabert`: one subcommand per file under Commands/.
var root = new RootCommand("cudabert: multi-task BERT training and inference on our own CUDA kernels (CPU fallback).");
root.Subcommands.Add(TrainCommand.Create());
root.Subcommands.Add(EvalCommand.Create());
root.Subcommands.Add(PredictCommand.Create());
root.Subcommands.Add(TokenizeCommand.Create());
root.Subcommands.Add(ImportCommand.Create());
root.Subcommands.Add(ExportCommand.Create());
root.Subcommands.Add(EmbedCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
root.Subcommands.Add(InfoCommand.Create());
return CudaBert.Cli.CommandLineErrors.Invoke(root, args);
