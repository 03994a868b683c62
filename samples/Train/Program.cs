using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Import;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Samples.Train;

/// <summary>
/// Trains a two-task model (an intent per text, a slot tag per word) and writes a checkpoint that
/// samples/Predict and samples/Embed load.
/// <list type="bullet">
/// <item>No options: a tiny BERT made from scratch, trained on generated assistant commands
/// (<see cref="AssistantCommands"/>) for three epochs, a few seconds on a CPU.</item>
/// <item><c>--model DIR</c>: fine-tunes a pretrained encoder folder instead (for example the one
/// <c>cudabert import minilm --out models/minilm</c> writes); <c>--data DIR</c> reads a JointBERT
/// folder (train/ and dev/, such as data/snips) instead of generating commands.</item>
/// </list>
/// </summary>
public static class Program
{
    const string Usage = "usage: Train OUT [--data JOINTBERT_DIR] [--model ENCODER_DIR] [--device auto|cpu|cuda] [--epochs N]";

    public static int Main(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith("--", StringComparison.Ordinal) || args.Length % 2 == 0)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        var options = new Dictionary<string, string>();
        for (int i = 1; i < args.Length; i += 2) options[args[i]] = args[i + 1];
        string[] known = ["--data", "--model", "--device", "--epochs"];
        if (options.Keys.FirstOrDefault(k => !known.Contains(k)) is string unknown)
        {
            Console.Error.WriteLine($"unknown option {unknown}\n{Usage}");
            return 2;
        }
        var result = Run(args[0], options.GetValueOrDefault("--data"), options.GetValueOrDefault("--model"),
            options.GetValueOrDefault("--device", "auto"), int.Parse(options.GetValueOrDefault("--epochs", "3"), System.Globalization.CultureInfo.InvariantCulture));
        var scores = result.FinalEvaluation?.Scores;
        Console.WriteLine($"{result.Steps} steps in {result.ElapsedSeconds:F1} s; dev intent accuracy {scores?.Intent?.Accuracy:P1}, " +
                          $"slot F1 {scores?.Slots?.Overall.F1:P1}; checkpoint: {result.Checkpoint}");
        return 0;
    }

    /// <summary>Trains into <paramref name="output"/> (its newest checkpoint is <c>OUTPUT/checkpoint-STEP</c>, see <see cref="TrainingResult.Checkpoint"/>) and returns what the run did.</summary>
    public static TrainingResult Run(string output, string? dataFolder = null, string? encoderFolder = null, string device = "auto", int epochs = 3)
    {
        // region: train
        // Examples: words, an intent and one tag per word (either label may be missing).
        TrainingData data = dataFolder is null
            ? new TrainingData(
                Train: AssistantCommands.Generate(400, seed: 1),
                Dev: AssistantCommands.Generate(100, seed: 2),
                SentenceLabels: new LabelSet(AssistantCommands.IntentNames),
                TokenLabels: new LabelSet(AssistantCommands.SlotTags))
            : TrainingData.Load(new TrainingOptions { Data = dataFolder });

        // An encoder and its tokenizer: a pretrained folder, or a tiny BERT made from scratch.
        string tokenizerFolder = encoderFolder ?? TinyEncoder.WriteVocabulary(data, Path.Combine(output, "vocabulary"));
        BertTokenizer tokenizer = HuggingFaceModelFolder.LoadTokenizer(tokenizerFolder);
        using MultiTaskBert model = encoderFolder is null
            ? new MultiTaskBert(TinyEncoder.Config(tokenizer.Vocabulary.Count), data.SentenceLabels.Count, data.TokenLabels.Count, seed: 5)
            : MultiTaskBert.FromPretrained(encoderFolder, data.SentenceLabels.Count, data.TokenLabels.Count, seed: 42);

        var options = new TrainingOptions
        {
            Device = device,             // auto: the GPU when the CUDA driver opens one, else the CPU
            Epochs = epochs,
            BatchSize = 16,
            LearningRate = encoderFolder is null ? 5e-3 : 1e-4,   // the encoder's: small for a pretrained one
            SentenceHeadLearningRate = 5e-3,                        // the heads start from random weights
            TokenHeadLearningRate = 5e-3,
            Out = output,                // OUTPUT/checkpoint-STEP/ (resumable) after each epoch
        };
        var collator = new BatchCollator(tokenizer, data.SentenceLabels, data.TokenLabels, maxLength: 48);
        using var trainer = new MultiTaskTrainer(model, collator, options, data.Train, data.Dev, tokenizerFolder);
        // Progress after each step; a cancelled token (here Ctrl+C) finishes the step, writes a
        // checkpoint and returns with result.Cancelled set: a later run resumes from it.
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
        var progress = new Progress<StepRecord>(s => { if ((s.Step + 1) % 25 == 0) Console.WriteLine($"step {s.Step + 1}/{s.TotalSteps}: loss {s.Loss:F3}"); });
        TrainingResult result = trainer.Run(progress, stop.Token);
        // endregion
        return result;
    }
}
