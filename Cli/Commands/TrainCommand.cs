using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert train</c>: fine-tunes a two-task model.</summary>
public static class TrainCommand
{
    public static Command Create()
    {
        var command = new Command("train", "Train a multi-task model (with no options: a built-in demo on the CPU).");
        command.SetAction(_ =>
        {
            Console.WriteLine("train: not implemented yet");
            return 0;
        });
        return command;
    }
}
