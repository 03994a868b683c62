using System.Text.Json;
using System.Text.Json.Nodes;
using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Import;

namespace CudaBert.Model.Training;

/// <summary>
/// A checkpoint is a Hugging Face-style folder:
/// <list type="bullet">
/// <item><c>config.json</c> — the BERT config plus both label maps (<c>sentence_id2label</c>,
/// <c>token_id2label</c>); <c>model.safetensors</c> — every parameter under its Hugging Face name
/// (<c>transformers</c>' <c>BertModel.from_pretrained</c> reads the encoder);</item>
/// <item><c>vocab.txt</c>, <c>tokenizer.json</c> — copied from the pretrained model;
/// <c>sentence_labels.txt</c>, <c>token_labels.txt</c> — the label sets, one per line, in id order;</item>
/// <item>for resuming: <c>optimizer.safetensors</c> (AdamW moments, <c>exp_avg.NAME</c> /
/// <c>exp_avg_sq.NAME</c>, step counts in the metadata) and <c>trainer_state.json</c>.</item>
/// </list>
/// This file reads checkpoints; <c>CheckpointWriting.cs</c> writes them (a folder appears complete or
/// not at all), and <see cref="RunCheckpoints"/> keeps the numbered checkpoints of a training run.
/// </summary>
public static partial class Checkpoint
{
    /// <summary>The sentence labels, one per line in id order.</summary>
    public const string SentenceLabelsFile = "sentence_labels.txt";
    /// <summary>The tags, one per line in id order.</summary>
    public const string TokenLabelsFile = "token_labels.txt";
    /// <summary>AdamW's first and second moments per parameter, with the step counts in the metadata.</summary>
    public const string OptimizerFile = "optimizer.safetensors";
    /// <summary>The <see cref="TrainerState"/> as JSON: where in the run the checkpoint was written, the options and the dropout streams.</summary>
    public const string StateFile = "trainer_state.json";
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        AllowDuplicateProperties = false,
    };

    /// <summary>Restores the optimizer moments saved with the model.</summary>
    /// <exception cref="InvalidDataException">A moment is missing, has another shape than its parameter, or a step count is not a non-negative integer; the message names the file and tensor.</exception>
    public static void LoadOptimizer(string folder, Module model, AdamW optimizer)
    {
        string path = Path.Combine(folder, OptimizerFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} has no optimizer state ({OptimizerFile}): it cannot be resumed", path);
        using var scope = Tensor.Scope();
        using var file = SafetensorsFile.Open(path);
        var parameters = model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter, StringComparer.Ordinal);
        foreach (var (key, value) in file.Metadata)
        {
            if (!key.StartsWith("step.", StringComparison.Ordinal)) continue;
            string name = key["step.".Length..];
            if (!parameters.TryGetValue(name, out var parameter))
                throw new InvalidDataException($"{path}: optimizer state for '{name}', which the model does not have");
            if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long step))
                throw new InvalidDataException($"{path}: metadata '{key}' is '{value}', not a non-negative step count");
            string expAvgName = $"exp_avg.{name}", expAvgSqName = $"exp_avg_sq.{name}";
            CheckMoment(file, expAvgName, parameter);
            CheckMoment(file, expAvgSqName, parameter);
            optimizer.SetState(parameter, file.Read(expAvgName, parameter.DType), file.Read(expAvgSqName, parameter.DType), step);
        }
    }

    /// <summary>A moment must be there, floating-point, with its parameter's shape: checked before it is read.</summary>
    static void CheckMoment(SafetensorsFile file, string name, Tensor parameter)
    {
        if (!file.Contains(name)) throw new InvalidDataException($"{file.Path}: the optimizer tensor '{name}' is missing");
        var info = file.GetInfo(name);
        long[] shape = parameter.Shape.ToArray().Select(d => (long)d).ToArray();
        if (!info.Shape.SequenceEqual(shape) || !info.DType.IsFloating())
            throw new InvalidDataException($"{file.Path}: the optimizer tensor '{name}' is {info.DType.HeaderName()} {info.ShapeText}, its parameter float {parameter.Shape}");
    }

    /// <summary>Reads <c>trainer_state.json</c>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON, a key is repeated or unknown, or a value is out of range; the message names the file.</exception>
    public static TrainerState LoadState(string folder)
    {
        string path = Path.Combine(folder, StateFile);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder} has no {StateFile}: it is a model, not a resumable checkpoint", path);
        byte[] bytes = File.ReadAllBytes(path);
        if (StrictJson.FindProblem(bytes) is { } problem) throw new InvalidDataException($"{path}: {problem}");
        TrainerState state;
        try
        {
            state = JsonSerializer.Deserialize<TrainerState>(bytes, Json) ?? throw new JsonException("empty state");
            state.Options?.Validated();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        void Require(bool ok, string key, object? value)
        {
            if (!ok) throw new InvalidDataException($"{path}: '{key}' is {value ?? "null"}, out of range");
        }
        Require(state.Epoch >= 0, "epoch", state.Epoch);
        Require(state.BatchInEpoch >= 0, "batch_in_epoch", state.BatchInEpoch);
        Require(state.OptimizerStep >= 0, "optimizer_step", state.OptimizerStep);
        Require(state.SkippedBatches >= 0, "skipped_batches", state.SkippedBatches);
        Require(double.IsFinite(state.ElapsedSeconds) && state.ElapsedSeconds >= 0, "elapsed_seconds", state.ElapsedSeconds);
        Require(state.Options is not null, "options", state.Options);
        Require(state.Dropouts is not null && state.Dropouts.Values.All(d => d is not null), "dropouts", state.Dropouts);
        return state;
    }

    /// <summary>Reads the sentence labels and the tags of the checkpoint <paramref name="folder"/>.</summary>
    /// <exception cref="FileNotFoundException">A label file is missing.</exception>
    /// <exception cref="DataFormatException">A label file repeats a label or is not UTF-8.</exception>
    public static (LabelSet Sentence, LabelSet Tokens) LoadLabels(string folder) =>
        (LabelSet.ReadFile(Path.Combine(folder, SentenceLabelsFile)), LabelSet.ReadFile(Path.Combine(folder, TokenLabelsFile)));

    /// <summary>Every dropout layer of a model with its dotted path (for saving and restoring Philox offsets).</summary>
    public static IEnumerable<(string Name, Dropout Dropout)> Dropouts(Module module, string prefix = "")
    {
        if (module is Dropout dropout) yield return (prefix, dropout);
        foreach (var (name, child) in module.NamedChildren())
            foreach (var inner in Dropouts(child, prefix.Length == 0 ? name : $"{prefix}.{name}"))
                yield return inner;
    }
}
