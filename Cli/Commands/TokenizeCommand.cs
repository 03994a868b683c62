using System.CommandLine;

namespace CudaBert.Cli.Commands;

/// <summary><c>cudabert tokenize</c>: Tokenize text with a BERT WordPiece vocabulary and print JSON lines.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var command = new Command("tokenize", "Tokenize text with a BERT WordPiece vocabulary and print JSON lines.");
        command.SetAction(_ =>
        {
            Console.Error.WriteLine("cudabert tokenize: not implemented yet");
            return 2;
        });
        return command;
    }
}
