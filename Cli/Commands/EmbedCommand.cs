using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert embed</c>: Sentence embeddings (mean pooling + L2 normalisation) from a BERT encoder.</summary>
public static class EmbedCommand
{
    public static Command Create()
    {
        var command = new Command("embed", "Sentence embeddings (mean pooling + L2 normalisation) from a BERT encoder.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("cudabert embed: not implemented yet");
            return 2;
        });
        return command;
    }
}
