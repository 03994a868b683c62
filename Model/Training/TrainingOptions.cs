using System.Text.Json;
using System.Text.Json.Serialization;
using CudaBert.Engine.Backends;
using CudaBert.Model.Inference;

namespace CudaBert.Model.Training;

/// <summary>
/// Everything a training run can be told, with defaults a fine-tuning run of a small BERT expects.
/// The same names are used on the command line (<c>--sentence-loss-weight 2</c>) and in a JSON
/// config file (<c>{"sentence-loss-weight": 2}</c>); command-line values override the file.
/// </summary>
public sealed record TrainingOptions
{
    // ---- data and model ----
    /// <summary>A JointBERT-style folder with train/ and dev/ (and optionally test/) splits.</summary>
    public string? Data { get; init; }
    /// <summary>Extra sentence-labelled examples (JSON lines or a JointBERT split), e.g. a large intent set.</summary>
    public string? SentenceData { get; init; }
    /// <summary>Extra tag-labelled examples (CoNLL or JSON lines), e.g. a small NER set.</summary>
    public string? TokenData { get; init; }
    /// <summary>Pretrained encoder folder (config.json + model.safetensors + vocab); default: the imported MiniLM.</summary>
    public string? Model { get; init; }
    /// <summary>
    /// The run's output folder, for its <c>checkpoint-STEP/</c> folders (see <see cref="RunCheckpoints"/>);
    /// null: no checkpoints. A run that is not resumed replaces the checkpoints another run left there.
    /// </summary>
    public string? Out { get; init; }
    public int MaxLength { get; init; } = 64;
    public bool SkipBadLines { get; init; }
    /// <summary><c>auto</c> (the GPU when the CUDA driver opens one, else the CPU), <c>cpu</c> or <c>cuda</c> (see <see cref="DeviceChoice"/>).</summary>
    public string Device { get; init; } = DeviceChoice.Auto;
    /// <summary>On the GPU, GEMMs on the TF32 tensor-core kernel (about 1e-3 relative error; off by default, as PyTorch's allow_tf32 for matmuls): the trainer's <see cref="Tf32Mode"/> while it runs.</summary>
    public bool Tf32 { get; init; }

    // ---- optimisation ----
    public int Epochs { get; init; } = 3;
    public int BatchSize { get; init; } = 32;
    public int GradientAccumulation { get; init; } = 1;
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>Learning rates per parameter group; null means <see cref="LearningRate"/>.</summary>
    public double? EncoderLearningRate { get; init; }
    public double? SentenceHeadLearningRate { get; init; }
    public double? TokenHeadLearningRate { get; init; }
    /// <summary>Weight decay, never applied to biases and LayerNorm weights.</summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>Share of the total steps spent warming the learning rate up linearly from 0.</summary>
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>Global gradient-norm clipping; 0 disables it.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    public ulong Seed { get; init; } = 42;

    // ---- the two tasks ----
    public double SentenceLossWeight { get; init; } = 1.0;
    public double TokenLossWeight { get; init; } = 1.0;
    /// <summary>Freeze rules such as <c>encoder:until-epoch-1</c> (see <see cref="FreezeRule"/>).</summary>
    public IReadOnlyList<string> Freeze { get; init; } = [];
    /// <summary><c>joint</c>, <c>alternate:A,B</c> or <c>per-epoch</c> (see <see cref="TaskSchedule"/>).</summary>
    public string TaskSchedule { get; init; } = "joint";
    /// <summary>Task weights for oversampling, e.g. [1, 1]; empty = every example once per epoch.</summary>
    public IReadOnlyList<double> Oversample { get; init; } = [];
    public bool LengthBucketing { get; init; }

    // ---- evaluation and checkpoints ----
    public int EvalEverySteps { get; init; }
    public int LogEverySteps { get; init; } = 10;
    /// <summary>Also write a checkpoint every N optimizer steps (0: only at each epoch end, and when stopped).</summary>
    public int SaveEverySteps { get; init; }
    /// <summary>How many checkpoints to keep in <see cref="Out"/>: the newest ones (at least 1).</summary>
    public int KeepCheckpoints { get; init; } = 1;
    /// <summary>How dev predictions read word tags: <c>constrained</c> (well-formed BIO, the default) or <c>argmax</c> (see <see cref="Inference.TagDecoding"/>).</summary>
    public string TagDecoding { get; init; } = TagDecodingNames.Constrained;

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.KebabCaseLower,
        AllowDuplicateProperties = false,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>Reads a JSON config file; unknown keys, wrong types, nulls and invalid values are errors that name the file and key.</summary>
    /// <exception cref="FormatException">The file is not valid JSON or an option is invalid; the message names the file and the option.</exception>
    public static TrainingOptions ReadFile(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (StrictJson.FindProblem(bytes, lenient: true) is { } problem) throw new FormatException($"{path}: {problem}");
        try
        {
            return (JsonSerializer.Deserialize<TrainingOptions>(bytes, Json)
                    ?? throw new JsonException("the file is empty or 'null'")).Validated();
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new FormatException($"{path}: {e.Message}", e);
        }
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parsed freeze rules and task schedule; throws with the offending option's name.</summary>
    public IReadOnlyList<FreezeRule> FreezeRules => Freeze.Select(FreezeRule.Parse).ToArray();
    public TaskSchedule Schedule => Training.TaskSchedule.Parse(TaskSchedule);
    public TagDecoding Decoding => TagDecodingNames.Parse(TagDecoding);

    public TrainingOptions Validated()
    {
        static void Require(bool ok, string option, string rule)
        {
            if (!ok) throw new ArgumentException($"option {option}: {rule}");
        }
        // A JSON null reaches a non-nullable option as null: refuse it before any rule reads the value.
        foreach (var (option, value) in new (string, object?)[] { ("device", Device), ("task-schedule", TaskSchedule), ("tag-decoding", TagDecoding), ("freeze", Freeze), ("oversample", Oversample) })
            Require(value is not null, option, "must not be null");
        Require(Freeze.All(rule => rule is not null), "freeze", "must be a list of rules, without null");
        foreach (var (option, value) in new[]
                 {
                     ("learning-rate", LearningRate), ("encoder-learning-rate", EncoderLearningRate ?? 0), ("sentence-head-learning-rate", SentenceHeadLearningRate ?? 0),
                     ("token-head-learning-rate", TokenHeadLearningRate ?? 0), ("weight-decay", WeightDecay), ("warmup-ratio", WarmupRatio),
                     ("max-grad-norm", MaxGradNorm), ("sentence-loss-weight", SentenceLossWeight), ("token-loss-weight", TokenLossWeight),
                 })
            Require(double.IsFinite(value), option, $"must be a finite number, not {value}");
        Require(Oversample.All(double.IsFinite), "oversample", "weights must be finite numbers");
        Require(Epochs > 0, "epochs", "must be ≥ 1");
        Require(BatchSize > 0, "batch-size", "must be ≥ 1");
        Require(GradientAccumulation > 0, "gradient-accumulation", "must be ≥ 1");
        Require(DeviceChoice.IsValid(Device), "device", $"must be one of {string.Join(", ", DeviceChoice.Names)}, not '{Device}'");
        Require(MaxLength is >= 8 and <= 4096, "max-length", "must be in [8, 4096]");
        Require(LogEverySteps > 0, "log-every-steps", "must be ≥ 1");
        Require(EvalEverySteps >= 0, "eval-every-steps", "must be ≥ 0 (0: at each epoch end)");
        Require(SaveEverySteps >= 0, "save-every-steps", "must be ≥ 0 (0: at each epoch end)");
        Require(KeepCheckpoints >= 1, "keep-checkpoints", "must be ≥ 1");
        Require(LearningRate > 0, "learning-rate", "must be > 0");
        Require(EncoderLearningRate is null or >= 0, "encoder-learning-rate", "must be ≥ 0");
        Require(SentenceHeadLearningRate is null or >= 0, "sentence-head-learning-rate", "must be ≥ 0");
        Require(TokenHeadLearningRate is null or >= 0, "token-head-learning-rate", "must be ≥ 0");
        Require(WeightDecay >= 0, "weight-decay", "must be ≥ 0");
        Require(WarmupRatio is >= 0 and < 1, "warmup-ratio", "must be in [0, 1)");
        Require(MaxGradNorm >= 0, "max-grad-norm", "must be ≥ 0 (0 disables clipping)");
        Require(SentenceLossWeight >= 0 && TokenLossWeight >= 0 && SentenceLossWeight + TokenLossWeight > 0,
            "sentence-loss-weight/token-loss-weight", "must be ≥ 0 and not both 0");
        Require(Oversample.Count is 0 or 2 && Oversample.All(w => w >= 0), "oversample", "give two task weights ≥ 0, e.g. [1, 1]");
        foreach (string rule in Freeze)
            try { FreezeRule.Parse(rule); }
            catch (FormatException e) { throw new ArgumentException($"option freeze: {e.Message}", e); }
        try { Training.TaskSchedule.Parse(TaskSchedule); }
        catch (FormatException e) { throw new ArgumentException($"option task-schedule: {e.Message}", e); }
        try { TagDecodingNames.Parse(TagDecoding); }
        catch (FormatException e) { throw new ArgumentException($"option tag-decoding: {e.Message}", e); }
        return this;
    }
}
