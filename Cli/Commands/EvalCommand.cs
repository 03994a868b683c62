using System.CommandLine;
using System.Text.Json;
using CudaBert.Engine.Backends;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Metrics;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert eval --model CKPT --data DIR [--split dev] [--json]</c>: scores a trained checkpoint on
/// a split. The JSON form is one object with <c>intent_accuracy</c>, <c>intent_macro_f1</c>,
/// <c>slot_precision</c>, <c>slot_recall</c>, <c>slot_f1</c>, <c>sentence_accuracy</c> and
/// <c>examples</c> (null where the data has no labels of that kind), and <c>unknown_intents</c> /
/// <c>unknown_tags</c> (label → count: gold labels the checkpoint does not know, scored as wrong).
/// Keep it stable: tools read it. The report adds a per-label table of each task and the most
/// frequent intent confusions. <c>--errors N</c> lists the first N wrong examples (gold and predicted frame)
/// after the report, or as <c>errors</c> in the JSON object.
/// </summary>
public static class EvalCommand
{
    /// <summary>The <c>eval</c> command with its options and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Checkpoint folder written by `cudabert train` (OUT/checkpoint-STEP, or OUT/best for the best on dev), or the run folder OUT for its newest checkpoint.", Required = true };
        var data = new Option<string>("--data") { Description = "JointBERT-style folder (with the split as a subfolder), a split folder, a .jsonl or a CoNLL file.", Required = true };
        var split = new Option<string>("--split") { Description = "Split subfolder of --data.", DefaultValueFactory = _ => "dev" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var batchSize = new Option<int>("--batch-size") { Description = "Examples per batch.", DefaultValueFactory = _ => 32 };
        var device = TrainCommand.DeviceOption();
        var tagDecoding = TrainCommand.TagDecodingOption();
        var maxLength = CommandTexts.MaxLengthOption("128");
        var cudaGraphs = TrainCommand.CudaGraphsOption("the forward pass");
        var precision = TrainCommand.PrecisionOption(inference: true);
        var errors = new Option<int>("--errors") { Description = "List the first N wrong examples, in data order: file:line, gold and predicted intent, gold and predicted entities.", DefaultValueFactory = _ => 0 };
        var command = new Command("eval", "Evaluate a trained checkpoint: intent accuracy and macro-F1, entity-level slot F1 (as seqeval), exact frames.")
        {
            model, data, split, json, batchSize, device, tagDecoding, maxLength, cudaGraphs, precision, errors,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(errors) is var n and < 0) result.AddError($"--errors {n}: must be 0 or more (how many wrong examples to list).");
        });
        command.SetAction(parse =>
        {
            string path = parse.GetValue(data)!;
            string splitFolder = Path.Combine(path, parse.GetValue(split)!);
            var examples = TrainingData.ReadAny(Directory.Exists(splitFolder) ? splitFolder : path, DataReadOptions.Strict);
            using var pipeline = TwoTaskPipeline.Load(parse.GetValue(model)!, parse.GetValue(maxLength) ?? 128, DeviceChoice.Resolve(parse.GetValue(device)!).Device);
            CommandTexts.ReportTruncation("eval", pipeline.Truncated(examples), examples.Count, pipeline.Collator.MaxLength);
            pipeline.TagDecoding = TagDecodingNames.Parse(parse.GetValue(tagDecoding) ?? TagDecodingNames.Constrained);
            if (parse.GetValue(precision) is { } name && MatmulPrecisionMode.TryParse(name, out var matmul)) pipeline.Precision = matmul;
            pipeline.UseCudaGraphs(parse.GetValue(cudaGraphs) ?? CudaGraphSteps.Auto);
            var (scores, wrong) = pipeline.EvaluateWithErrors(examples, parse.GetValue(batchSize));
            var listed = wrong.Take(parse.GetValue(errors)).ToArray();
            CommandTexts.ReportEagerFallback("eval", pipeline.CudaGraphs);
            var unknown = UnknownLabels.Find(examples, pipeline.Collator.SentenceLabels, pipeline.Collator.TokenLabels);
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
                    unknown_intents = unknown.Intents.ToDictionary(u => u.Label, u => u.Count),
                    unknown_tags = unknown.Tags.ToDictionary(u => u.Label, u => u.Count),
                    errors = listed.Length == 0 ? null : listed.Select(e => new
                    {
                        source = e.Example.Source,
                        line = e.Example.Line,
                        text = e.Example.Text,
                        intent = e.Example.SentenceLabel,
                        predicted_intent = e.PredictedIntent,
                        tags = e.Example.Tags,
                        predicted_tags = e.PredictedTags,
                    }),
                }));
                return 0;
            }
            ReportUnknown("intent", "examples", unknown.Intents, pipeline.Collator.SentenceLabels.Count);
            ReportUnknown("tag", "words", unknown.Tags, pipeline.Collator.TokenLabels.Count);
            Console.WriteLine(TrainingConsole.Summary(scores));
            if (scores.Intent is { } intent)
            {
                Console.WriteLine($"{"intent",-28} {"precision",9} {"recall",9} {"F1",9} {"support",8}");
                foreach (var (label, s) in intent.PerLabel)
                    Console.WriteLine($"{label,-28} {s.Precision,9:P2} {s.Recall,9:P2} {s.F1,9:P2} {s.Support,8}");
                if (intent.Confusions.Count > 0)
                {
                    Console.WriteLine($"most frequent intent confusions ({Math.Min(TopConfusions, intent.Confusions.Count)} of {intent.Confusions.Count} pairs):");
                    foreach (var c in intent.Confusions.Take(TopConfusions))
                        Console.WriteLine($"  {c.Count,5} × {c.Gold} predicted as {c.Predicted}");
                }
            }
            if (scores.Slots is { } slots)
            {
                Console.WriteLine($"{"slot",-28} {"precision",9} {"recall",9} {"F1",9} {"support",8}");
                foreach (var (label, s) in slots.PerType)
                    Console.WriteLine($"{label,-28} {s.Precision,9:P2} {s.Recall,9:P2} {s.F1,9:P2} {s.Support,8}");
            }
            if (listed.Length > 0) ReportErrors(listed, wrong.Count);
            return 0;
        });
        return command;
    }

    /// <summary>How many intent confusion pairs the report lists.</summary>
    const int TopConfusions = 10;

    /// <summary>Prints each wrong example: where it is, the intents when they differ, the frames when they differ.</summary>
    static void ReportErrors(IReadOnlyList<PredictionError> listed, int wrong)
    {
        Console.WriteLine($"wrong examples ({listed.Count} of {wrong}, in data order):");
        foreach (var e in listed)
        {
            var example = e.Example;
            Console.WriteLine($"  {example.Source}:{example.Line}" + (e.IntentWrong ? $"  intent {example.SentenceLabel}, predicted {e.PredictedIntent}" : ""));
            if (example.Tags is null || !e.TagsWrong)
            {
                Console.WriteLine($"    {"text",-10} {PredictionError.Frame(example.Words, e.PredictedTags)}");
                continue;
            }
            Console.WriteLine($"    {"gold",-10} {PredictionError.Frame(example.Words, example.Tags)}");
            Console.WriteLine($"    {"predicted",-10} {PredictionError.Frame(example.Words, e.PredictedTags)}");
        }
    }

    /// <summary>Names the gold labels the checkpoint cannot predict, so that the scores they lower are read for what they are.</summary>
    static void ReportUnknown(string kind, string unit, IReadOnlyList<(string Label, int Count)> unknown, int known)
    {
        if (unknown.Count == 0) return;
        Console.WriteLine($"warning: {unknown.Count} {kind}(s) of the data are not among the checkpoint's {known} labels; their {unknown.Sum(u => u.Count)} {unit} are scored as wrong: " +
                          string.Join(", ", unknown.Select(u => $"{u.Label} ({u.Count})")));
    }
}
