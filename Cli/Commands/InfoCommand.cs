using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert info</c>: Show the devices (CUDA driver, GPUs) and the build.</summary>
public static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show the devices (CUDA driver, GPUs) and the build.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("cudabert info: not implemented yet");
            return 2;
        });
        return command;
    }
}
