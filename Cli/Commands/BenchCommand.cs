using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert bench</c>: Benchmarks of the kernels and of a training step.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks of the kernels and of a training step.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("cudabert bench: not implemented yet");
            return 2;
        });
        return command;
    }
}
