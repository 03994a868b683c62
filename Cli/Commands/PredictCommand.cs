using System.CommandLine;
using System.Text.Json;
using CudaBert.Engine.Backends;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert predict --model CKPT [--json] TEXT...</c> (lines of stdin when no TEXT): the intent, its
/// probability and the entities (type, text, start, end as UTF-16 offsets into the text) of each text.
/// The JSON form — one object per line — is stable: tools read it.
/// </summary>
public static class PredictCommand
{
    /// <summary>The <c>predict</c> command with its options, text arguments and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder written by `cudabert train` (OUT/checkpoint-STEP, or OUT/best for the best on dev), or the run folder OUT for its newest checkpoint.", Required = true };
        var json = new Option<bool>("--json") { Description = "One JSON object per text: {text, intent, probability, entities: [{type, text, start, end}]}." };
        var texts = new Argument<string[]>("TEXT") { Description = "Texts to analyse; read from stdin, one per line, when none is given.", Arity = ArgumentArity.ZeroOrMore };
        var device = TrainCommand.DeviceOption();
        var tagDecoding = TrainCommand.TagDecodingOption();
        var maxLength = CommandTexts.MaxLengthOption("128");
        var cudaGraphs = TrainCommand.CudaGraphsOption("the forward pass");
        var precision = TrainCommand.PrecisionOption(inference: true);
        var command = new Command("predict", "Predict the intent and the entities of texts with a trained checkpoint.") { model, json, device, tagDecoding, maxLength, cudaGraphs, precision, texts };
        command.SetAction(parse =>
        {
            var inputs = CommandTexts.OrStandardInput(parse.GetValue(texts)).ToArray();
            using var pipeline = TwoTaskPipeline.Load(parse.GetValue(model)!, parse.GetValue(maxLength) ?? 128, DeviceChoice.Resolve(parse.GetValue(device)!).Device);
            CommandTexts.ReportTruncation("predict", pipeline.Truncated(inputs), inputs.Length, pipeline.Collator.MaxLength);
            pipeline.TagDecoding = TagDecodingNames.Parse(parse.GetValue(tagDecoding) ?? TagDecodingNames.Constrained);
            if (parse.GetValue(precision) is { } name && MatmulPrecisionMode.TryParse(name, out var matmul)) pipeline.Precision = matmul;
            pipeline.UseCudaGraphs(parse.GetValue(cudaGraphs) ?? CudaGraphSteps.Auto);
            var predictions = pipeline.Predict(inputs);
            CommandTexts.ReportEagerFallback("predict", pipeline.CudaGraphs);
            var options = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
            foreach (var p in predictions)
            {
                if (parse.GetValue(json))
                    Console.WriteLine(JsonSerializer.Serialize(p, options));
                else
                    Console.WriteLine($"{p.Intent} ({p.Probability:P1})  {p.Text}" +
                                      string.Concat(p.Entities.Select(e => $"\n    {e.Type}: \"{e.Text}\" [{e.Start}, {e.End})")));
            }
            return 0;
        });
        return command;
    }
}
