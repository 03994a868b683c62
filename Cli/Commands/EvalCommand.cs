using System.CommandLine;
using System.Text.Json;
using CudaBert.Engine.Backends;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert eval --model CKPT --data DIR [--split dev] [--json]</c>: scores a trained checkpoint on
/// a split. The JSON form is one object with <c>intent_accuracy</c>, <c>intent_macro_f1</c>,
/// <c>slot_precision</c>, <c>slot_recall</c>, <c>slot_f1</c>, <c>sentence_accuracy</c> and
/// <c>examples</c> (null where the data has no labels of that kind). Keep it stable: tools read it.
/// </summary>
public static class EvalCommand
{
    /// <summary>The <c>eval</c> command with its options and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder written by `cudabert train` (OUT/checkpoint-STEP), or the run folder OUT for its newest checkpoint.", Required = true };
        var data = new Option<string>("--data") { Description = "JointBERT-style folder (with the split as a subfolder), a split folder, a .jsonl or a CoNLL file.", Required = true };
        var split = new Option<string>("--split") { Description = "Split subfolder of --data.", DefaultValueFactory = _ => "dev" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per batch.", DefaultValueFactory = _ => 32 };
        var device = TrainCommand.DeviceOption();
        var tagDecoding = TrainCommand.TagDecodingOption();
        var maxLength = CommandTexts.MaxLengthOption("128");
        var command = new Command("eval", "Evaluate a trained checkpoint: intent accuracy and macro-F1, entity-level slot F1 (as seqeval), exact frames.")
        {
            model, data, split, json, batchSize, device, tagDecoding, maxLength,
        };
        command.SetAction(parse =>
        {
            string path = parse.GetValue(data)!;
            string splitFolder = Path.Combine(path, parse.GetValue(split)!);
            var examples = TrainingData.ReadAny(Directory.Exists(splitFolder) ? splitFolder : path, DataReadOptions.Strict);
            using var pipeline = TwoTaskPipeline.Load(parse.GetValue(model)!, parse.GetValue(maxLength) ?? 128, DeviceChoice.Resolve(parse.GetValue(device)!).Device);
            CommandTexts.ReportTruncation("eval", pipeline.Truncated(examples), examples.Count, pipeline.Collator.MaxLength);
            pipeline.TagDecoding = TagDecodingNames.Parse(parse.GetValue(tagDecoding) ?? TagDecodingNames.Constrained);
            var scores = pipeline.Evaluate(examples, parse.GetValue(batchSize));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    intent_accuracy = scores.Intent?.Accuracy,
                    intent_macro_f1 = scores.Intent?.MacroF1,
                    slot_precision = scores.Slots?.Overall.Precision,
                    slot_recall = scores.Slots?.Overall.Recall,
                    slot_f1 = scores.Slots?.Overall.F1,
                    sentence_accuracy = scores.SentenceAccuracy,
                    examples = scores.Examples,
                }));
                return 0;
            }
            Console.WriteLine(TrainingConsole.Summary(scores));
            if (scores.Intent is { } intent)
            {
                Console.WriteLine($"{"intent",-28} {"precision",9} {"recall",9} {"F1",9} {"support",8}");
                foreach (var (label, s) in intent.PerLabel)
                    Console.WriteLine($"{label,-28} {s.Precision,9:P2} {s.Recall,9:P2} {s.F1,9:P2} {s.Support,8}");
            }
            if (scores.Slots is { } slots)
            {
                Console.WriteLine($"{"slot",-28} {"precision",9} {"recall",9} {"F1",9} {"support",8}");
                foreach (var (label, s) in slots.PerType)
                    Console.WriteLine($"{label,-28} {s.Precision,9:P2} {s.Recall,9:P2} {s.F1,9:P2} {s.Support,8}");
            }
            return 0;
        });
        return command;
    }
}
