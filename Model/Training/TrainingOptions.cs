using System.Text.Json;
using System.Text.Json.Serialization;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Distributed;
using CudaBert.Model.Bert;
using CudaBert.Model.Inference;

namespace CudaBert.Model.Training;

/// <summary>
/// Everything a training run can be told, with defaults a fine-tuning run of a small BERT expects.
/// The same names are used on the command line (<c>--sentence-loss-weight 2</c>) and in a JSON
/// config file (<c>{"sentence-loss-weight": 2}</c>); command-line values override the file. Two options are
/// shorter on the command line: <c>--eval-every</c> and <c>--log-every</c> (config keys <c>eval-every-steps</c>
/// and <c>log-every-steps</c>); each member below names both.
/// </summary>
public sealed record TrainingOptions
{
    // ---- data and model ----
    /// <summary>
    /// A JointBERT-style folder with train/ and dev/ (and optionally test/) splits (seq.in, seq.out, label);
    /// default null. CLI <c>--data</c>, config key <c>data</c>.
    /// </summary>
    public string? Data { get; init; }
    /// <summary>
    /// Extra sentence-labelled examples (JSON lines or a JointBERT split), e.g. a large intent set; default null.
    /// CLI <c>--sentence-data</c>, config key <c>sentence-data</c>.
    /// </summary>
    public string? SentenceData { get; init; }
    /// <summary>
    /// Extra tag-labelled examples (CoNLL or JSON lines), e.g. a small NER set; default null.
    /// CLI <c>--token-data</c>, config key <c>token-data</c>.
    /// </summary>
    public string? TokenData { get; init; }
    /// <summary>
    /// Pretrained encoder folder (config.json + model.safetensors + vocab); default null: the imported MiniLM.
    /// CLI <c>--model</c>, config key <c>model</c>.
    /// </summary>
    public string? Model { get; init; }
    /// <summary>
    /// The run's output folder, for its <c>checkpoint-STEP/</c> folders (see <see cref="RunCheckpoints"/>);
    /// null: no checkpoints. A run that is not resumed replaces the checkpoints another run left there.
    /// Default null (the <c>train</c> command picks <c>cudabert-runs/YYYYMMDD-HHMMSS</c>). CLI <c>--out</c>, config key <c>out</c>.
    /// </summary>
    public string? Out { get; init; }
    /// <summary>
    /// Tokens per example, <c>[CLS]</c> and <c>[SEP]</c> included; longer examples are truncated. Default 64,
    /// range [8, 4096]. CLI <c>--max-length</c>, config key <c>max-length</c>.
    /// </summary>
    public int MaxLength { get; init; } = 64;
    /// <summary>
    /// Skip and count malformed data lines instead of stopping at the first one (see <see cref="Data.DataReadOptions"/>).
    /// Default false. CLI <c>--skip-bad-lines</c>, config key <c>skip-bad-lines</c>.
    /// </summary>
    public bool SkipBadLines { get; init; }
    /// <summary>
    /// <c>auto</c> (the default: the GPU when the CUDA driver opens one, else the CPU), <c>cpu</c> or <c>cuda</c>
    /// (see <see cref="DeviceChoice"/>). CLI <c>--device</c>, config key <c>device</c>.
    /// </summary>
    public string Device { get; init; } = DeviceChoice.Auto;
    /// <summary>
    /// On the GPU, GEMMs on the TF32 tensor-core kernel (about 1e-3 relative error; off by default, as PyTorch's
    /// allow_tf32 for matmuls): the trainer's <see cref="Tf32Mode"/> while it runs. CLI <c>--tf32</c>, config key <c>tf32</c>.
    /// The same as <see cref="Precision"/> <c>tf32</c>.
    /// </summary>
    public bool Tf32 { get; init; }
    /// <summary>
    /// The matrix products of the Linear layers (<see cref="MatmulPrecision"/>): <c>fp32</c> (the default), <c>tf32</c>
    /// (as <see cref="Tf32"/>; GPU only) or <c>bf16</c> (mixed precision: bfloat16 GEMM operands with fp32 accumulation,
    /// everything else fp32, on the CPU too). The trainer's <see cref="MatmulPrecisionMode"/> while it runs.
    /// CLI <c>--precision</c>, config key <c>precision</c>.
    /// </summary>
    public string Precision { get; init; } = "fp32";
    /// <summary>The parsed <see cref="Precision"/>, <see cref="Tf32"/> included (tf32 when either says so).</summary>
    [JsonIgnore]
    public MatmulPrecision MatmulPrecision => MatmulPrecisionMode.TryParse(Precision, out var p)
        ? (p == MatmulPrecision.Fp32 && Tf32 ? MatmulPrecision.Tf32 : p)
        : throw new FormatException($"option precision: must be one of fp32, tf32, bf16, not '{Precision}'");
    /// <summary>
    /// Whether each training step on the GPU is captured once per batch shape into a CUDA graph and then replayed
    /// (<see cref="CudaGraphSteps"/>): <c>auto</c> (the default: on for CUDA when the step can be captured, else
    /// eager with a notice saying why), <c>on</c> (fails when it cannot be) or <c>off</c>. Results are those of the
    /// eager step, bit for bit. CLI <c>--cuda-graphs</c>, config key <c>cuda-graphs</c>.
    /// </summary>
    public string CudaGraphs { get; init; } = CudaGraphSteps.Auto;

    // ---- optimisation ----
    /// <summary>
    /// Passes over the training data, at least 1; null (the default): as many as the recipe's target number of
    /// optimizer steps needs, within [3, 10] (<see cref="TrainingRecipe.Epochs"/>). CLI <c>--epochs</c>, config key <c>epochs</c>.
    /// </summary>
    public int? Epochs { get; init; }
    /// <summary>Examples per batch (per forward/backward pass), at least 1. Default 32. CLI <c>--batch-size</c>, config key <c>batch-size</c>.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>
    /// Batches whose gradients are summed into one optimizer step, at least 1; the effective batch is
    /// <see cref="BatchSize"/> × this. Default 1. CLI <c>--gradient-accumulation</c>, config key <c>gradient-accumulation</c>.
    /// </summary>
    public int GradientAccumulation { get; init; } = 1;
    /// <summary>
    /// Gradient checkpointing of the encoder layers (<see cref="Bert.BertEncoder.GradientCheckpointing"/>): a step keeps
    /// only each layer's input and recomputes the layer's forward in the backward pass — far less activation memory
    /// (a larger batch or sequence fits), one more encoder forward per step. The same numbers as without it. Off by
    /// default. CLI <c>--gradient-checkpointing</c>, config key <c>gradient-checkpointing</c>.
    /// </summary>
    public bool GradientCheckpointing { get; init; }
    /// <summary>
    /// Peak AdamW learning rate of the encoder (reached after the warmup, then decayed linearly to 0); the heads'
    /// default to <see cref="TrainingRecipe.HeadLearningRateFactor"/> (20) × it. Must be &gt; 0. Default 1e-4
    /// (<see cref="TrainingRecipe.LearningRate"/>). CLI <c>--learning-rate</c> (or <c>--lr</c>), config key <c>learning-rate</c>.
    /// </summary>
    public double LearningRate { get; init; } = TrainingRecipe.LearningRate;
    /// <summary>
    /// Peak learning rate of the encoder (embeddings and layers), ≥ 0; null (the default): <see cref="LearningRate"/>.
    /// CLI <c>--encoder-learning-rate</c>, config key <c>encoder-learning-rate</c>.
    /// </summary>
    public double? EncoderLearningRate { get; init; }
    /// <summary>
    /// Peak learning rate of the sentence head (<c>classifier</c>: mean-pooled hidden state → sentence labels), ≥ 0;
    /// null (the default): 20 × <see cref="LearningRate"/> (<see cref="TrainingRecipe.HeadLearningRate"/>). CLI <c>--sentence-head-learning-rate</c>, config key <c>sentence-head-learning-rate</c>.
    /// </summary>
    public double? SentenceHeadLearningRate { get; init; }
    /// <summary>
    /// Peak learning rate of the token head (<c>token_classifier</c>: each hidden state → token labels), ≥ 0;
    /// null (the default): 20 × <see cref="LearningRate"/> (<see cref="TrainingRecipe.HeadLearningRate"/>). CLI <c>--token-head-learning-rate</c>, config key <c>token-head-learning-rate</c>.
    /// </summary>
    public double? TokenHeadLearningRate { get; init; }
    /// <summary>
    /// AdamW weight decay (decoupled, per step: w -= lr·decay·w), never applied to biases and LayerNorm weights; ≥ 0.
    /// Default 0.01. CLI <c>--weight-decay</c>, config key <c>weight-decay</c>.
    /// </summary>
    public double WeightDecay { get; init; } = 0.01;
    /// <summary>
    /// Share of the total optimizer steps spent warming the learning rate up linearly from 0, in [0, 1); the rest
    /// decays it linearly to 0. Default 0.1. CLI <c>--warmup-ratio</c>, config key <c>warmup-ratio</c>.
    /// </summary>
    public double WarmupRatio { get; init; } = 0.1;
    /// <summary>
    /// Largest global L2 norm of all gradients before a step (larger ones are scaled down to it); 0 disables clipping.
    /// Default 1.0. CLI <c>--max-grad-norm</c>, config key <c>max-grad-norm</c>.
    /// </summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>
    /// Data parallel only: the most MiB of gradients averaged in one all-reduce; each bucket's all-reduce
    /// starts as soon as the backward pass has finished its gradients, overlapping the rest of the pass
    /// (<see cref="GradientBuckets"/>). 0: one all-reduce per parameter. ≥ 0. Default 25 (PyTorch's
    /// <c>bucket_cap_mb</c>). CLI <c>--bucket-cap-megabytes</c> (or <c>--bucket-cap-mb</c>), config key <c>bucket-cap-megabytes</c>.
    /// </summary>
    public double BucketCapMegabytes { get; init; } = GradientBuckets.DefaultCapMegabytes;
    /// <summary>
    /// Seed of the example order (shuffling or oversampling) and of length bucketing; the <c>train</c> command
    /// also passes it to <see cref="Bert.MultiTaskBert.FromPretrained(string, int, int, ulong, Engine.DType, TokenHead)"/>, where
    /// it fixes the new heads' initial weights and the dropout masks. The same seed and data give the same run.
    /// Default 42. CLI <c>--seed</c>, config key <c>seed</c>.
    /// </summary>
    public ulong Seed { get; init; } = 42;

    // ---- the two tasks ----
    /// <summary>
    /// wA in the loss wA·CE(sentence) + wB·CE(tokens), ≥ 0 (not both weights 0); 0 turns the sentence task off.
    /// Default 1. CLI <c>--sentence-loss-weight</c>, config key <c>sentence-loss-weight</c>.
    /// </summary>
    public double SentenceLossWeight { get; init; } = 1.0;
    /// <summary>
    /// wB in the loss wA·CE(sentence) + wB·CE(tokens), ≥ 0 (not both weights 0); 0 turns the token task off.
    /// Default 1. CLI <c>--token-loss-weight</c>, config key <c>token-loss-weight</c>.
    /// </summary>
    public double TokenLossWeight { get; init; } = 1.0;
    /// <summary>
    /// Freeze rules such as <c>encoder:until-epoch-1</c> (see <see cref="FreezeRule"/>); default none.
    /// CLI <c>--freeze</c> (repeatable), config key <c>freeze</c> (a list of strings).
    /// </summary>
    public IReadOnlyList<string> Freeze { get; init; } = [];
    /// <summary>
    /// <c>joint</c> (the default), <c>alternate:A,B</c> or <c>per-epoch</c> (see <see cref="Training.TaskSchedule"/>).
    /// CLI <c>--task-schedule</c>, config key <c>task-schedule</c>.
    /// </summary>
    public string TaskSchedule { get; init; } = "joint";
    /// <summary>
    /// Two task weights (sentence, tokens) for oversampling, e.g. [1, 1] (see <see cref="TaskOversampling"/>);
    /// empty (the default): every example once per epoch. CLI <c>--oversample A B</c>, config key <c>oversample</c>.
    /// </summary>
    public IReadOnlyList<double> Oversample { get; init; } = [];
    /// <summary>
    /// Weights of the sentence labels in the sentence head's cross-entropy (see <see cref="Training.ClassWeights"/>):
    /// <c>auto</c> (the default: <see cref="ImbalanceRule"/> picks <c>none</c> or <c>inverse-sqrt</c> from the training
    /// labels), <c>none</c>, <c>inverse</c>, <c>inverse-sqrt</c>, or the path of a weights file (a JSON object label → weight,
    /// or lines <c>label&lt;TAB&gt;weight</c>). Token tags are never weighted. The trainer keeps the resolved mode in its
    /// state (<see cref="TrainerState.Options"/>). CLI <c>--class-weights</c>, config key <c>class-weights</c>.
    /// </summary>
    public string ClassWeights { get; init; } = Training.ClassWeights.Auto;
    /// <summary>
    /// Label-aware oversampling (see <see cref="LabelOversampling"/>): <c>auto</c> (the default: <see cref="ImbalanceRule"/>
    /// picks <c>none</c> or <c>sqrt</c>), <c>none</c> or <c>sqrt</c> (rare sentence labels and scarce tagged examples drawn
    /// more often, by square-root smoothing). <c>sqrt</c> and <see cref="Oversample"/> task weights exclude each other.
    /// CLI <c>--oversample-labels</c>, config key <c>oversample-labels</c>.
    /// </summary>
    public string OversampleLabels { get; init; } = LabelOversampling.Auto;
    /// <summary>
    /// Batch examples of similar token counts together (within windows of 50 batches of the shuffled order,
    /// see <see cref="Training.LengthBucketing"/>), which shortens padding: the same examples per epoch, less
    /// compute. Default true. CLI <c>--length-bucketing</c>, config key <c>length-bucketing</c>.
    /// </summary>
    public bool LengthBucketing { get; init; } = true;

    // ---- evaluation and checkpoints ----
    /// <summary>
    /// Also score the dev split every N optimizer steps, ≥ 0; 0: only at each epoch end. Default 0.
    /// CLI <c>--eval-every</c>, config key <c>eval-every-steps</c>.
    /// </summary>
    public int EvalEverySteps { get; init; }
    /// <summary>
    /// The dev score that picks the best checkpoint, kept as <c>OUT/best/</c>: <c>exact-frames</c> (the default),
    /// <c>intent-accuracy</c>, <c>slot-f1</c> or <c>loss</c> (see <see cref="CheckpointSelection"/>).
    /// CLI <c>--select-by</c>, config key <c>select-by</c>.
    /// </summary>
    public string SelectBy { get; init; } = CheckpointSelection.ExactFrames;
    /// <summary>
    /// Early stopping: end the run after this many dev evaluations in a row without improving on the best
    /// (by <see cref="SelectBy"/>), ≥ 0; 0 (the default): never stop early. CLI <c>--patience</c>, config key <c>patience</c>.
    /// </summary>
    public int Patience { get; init; }
    /// <summary>
    /// How often, in optimizer steps, the trainer reads the steps' losses back from the device and tells
    /// its observers and progress of them (every step still gets its record: they arrive together), and
    /// the command line prints progress; at least 1. Evaluations, checkpoints and the end of a call are
    /// log points too. Default 10. CLI <c>--log-every</c>, config key <c>log-every-steps</c>.
    /// </summary>
    public int LogEverySteps { get; init; } = 10;
    /// <summary>
    /// Also write a checkpoint every N optimizer steps, ≥ 0 (0, the default: only at each epoch end, and when stopped).
    /// CLI <c>--save-every</c> (or <c>--save-every-steps</c>), config key <c>save-every-steps</c>.
    /// </summary>
    public int SaveEverySteps { get; init; }
    /// <summary>
    /// How many checkpoints to keep in <see cref="Out"/>: the newest ones (at least 1). Default 1.
    /// CLI <c>--keep</c> (or <c>--keep-checkpoints</c>), config key <c>keep-checkpoints</c>.
    /// </summary>
    public int KeepCheckpoints { get; init; } = 1;
    /// <summary>
    /// How dev predictions read word tags: <c>constrained</c> (well-formed BIO, the default) or <c>argmax</c>
    /// (see <see cref="Inference.TagDecoding"/>). CLI <c>--tag-decoding</c>, config key <c>tag-decoding</c>.
    /// </summary>
    public string TagDecoding { get; init; } = TagDecodingNames.Constrained;
    /// <summary>
    /// The token head of a new model: <c>linear</c> (each word's tag on its own, the default) or <c>crf</c>
    /// (a linear-chain CRF over the words' tags, trained on the whole sequence's likelihood and decoded by
    /// Viterbi; its transition scores learn at the token head's learning rate). A resumed run keeps its
    /// checkpoint's head. CLI <c>--token-head</c>, config key <c>token-head</c>.
    /// </summary>
    public string TokenHead { get; init; } = TokenHeadNames.Linear;

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

    /// <summary>These options as an indented JSON config file, with the kebab-case keys <see cref="ReadFile"/> reads.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The parsed <see cref="Freeze"/> rules; a <see cref="FormatException"/> names the rule that does not parse.</summary>
    public IReadOnlyList<FreezeRule> FreezeRules => Freeze.Select(FreezeRule.Parse).ToArray();
    /// <summary>The parsed <see cref="TaskSchedule"/>; a <see cref="FormatException"/> when it is not a valid schedule.</summary>
    public TaskSchedule Schedule => Training.TaskSchedule.Parse(TaskSchedule);
    /// <summary>The parsed <see cref="TagDecoding"/>; a <see cref="FormatException"/> when it is not a valid name.</summary>
    public TagDecoding Decoding => TagDecodingNames.Parse(TagDecoding);
    /// <summary>The parsed <see cref="TokenHead"/>; a <see cref="FormatException"/> when it is not a valid name.</summary>
    public TokenHead Head => TokenHeadNames.Parse(TokenHead);

    /// <summary>Checks every option's range and parses the text options; returns these options unchanged when all are valid.</summary>
    /// <exception cref="ArgumentException">An option is out of range, null or unparsable; the message names its config key.</exception>
    public TrainingOptions Validated()
    {
        static void Require(bool ok, string option, string rule)
        {
            if (!ok) throw new ArgumentException($"option {option}: {rule}");
        }
        // A JSON null reaches a non-nullable option as null: refuse it before any rule reads the value.
        foreach (var (option, value) in new (string, object?)[] { ("device", Device), ("precision", Precision), ("task-schedule", TaskSchedule), ("tag-decoding", TagDecoding), ("token-head", TokenHead), ("select-by", SelectBy), ("freeze", Freeze), ("oversample", Oversample), ("class-weights", ClassWeights), ("oversample-labels", OversampleLabels), ("cuda-graphs", CudaGraphs) })
            Require(value is not null, option, "must not be null");
        Require(Freeze.All(rule => rule is not null), "freeze", "must be a list of rules, without null");
        foreach (var (option, value) in new[]
                 {
                     ("learning-rate", LearningRate), ("encoder-learning-rate", EncoderLearningRate ?? 0), ("sentence-head-learning-rate", SentenceHeadLearningRate ?? 0),
                     ("token-head-learning-rate", TokenHeadLearningRate ?? 0), ("weight-decay", WeightDecay), ("warmup-ratio", WarmupRatio),
                     ("max-grad-norm", MaxGradNorm), ("sentence-loss-weight", SentenceLossWeight), ("token-loss-weight", TokenLossWeight),
                     ("bucket-cap-megabytes", BucketCapMegabytes),
                 })
            Require(double.IsFinite(value), option, $"must be a finite number, not {value}");
        Require(Oversample.All(double.IsFinite), "oversample", "weights must be finite numbers");
        Require(Epochs is null or > 0, "epochs", "must be ≥ 1 (or null: the recipe's choice)");
        Require(BatchSize > 0, "batch-size", "must be ≥ 1");
        Require(GradientAccumulation > 0, "gradient-accumulation", "must be ≥ 1");
        Require(MatmulPrecisionMode.TryParse(Precision, out var precision), "precision", $"must be one of fp32, tf32, bf16, not '{Precision}'");
        Require(!(Tf32 && precision == MatmulPrecision.Bf16), "tf32/precision", "tf32 and precision bf16 contradict each other: give one of them");
        Require(DeviceChoice.IsValid(Device), "device", $"must be one of {string.Join(", ", DeviceChoice.Names)}, not '{Device}'");
        Require(MaxLength is >= 8 and <= 4096, "max-length", "must be in [8, 4096]");
        Require(CudaGraphSteps.Modes.Contains(CudaGraphs), "cuda-graphs", $"must be one of {string.Join(", ", CudaGraphSteps.Modes)}, not '{CudaGraphs}'");
        Require(LogEverySteps > 0, "log-every-steps", "must be ≥ 1");
        Require(EvalEverySteps >= 0, "eval-every-steps", "must be ≥ 0 (0: at each epoch end)");
        Require(SaveEverySteps >= 0, "save-every-steps", "must be ≥ 0 (0: at each epoch end)");
        Require(KeepCheckpoints >= 1, "keep-checkpoints", "must be ≥ 1");
        Require(CheckpointSelection.IsValid(SelectBy), "select-by", $"must be one of {string.Join(", ", CheckpointSelection.Names)}, not '{SelectBy}'");
        Require(Patience >= 0, "patience", "must be ≥ 0 (0: never stop early)");
        Require(LearningRate > 0, "learning-rate", "must be > 0");
        Require(EncoderLearningRate is null or >= 0, "encoder-learning-rate", "must be ≥ 0");
        Require(SentenceHeadLearningRate is null or >= 0, "sentence-head-learning-rate", "must be ≥ 0");
        Require(TokenHeadLearningRate is null or >= 0, "token-head-learning-rate", "must be ≥ 0");
        Require(WeightDecay >= 0, "weight-decay", "must be ≥ 0");
        Require(WarmupRatio is >= 0 and < 1, "warmup-ratio", "must be in [0, 1)");
        Require(MaxGradNorm >= 0, "max-grad-norm", "must be ≥ 0 (0 disables clipping)");
        Require(BucketCapMegabytes is >= 0 and <= 4096, "bucket-cap-megabytes", "must be in [0, 4096] (0: one all-reduce per parameter)");
        Require(SentenceLossWeight >= 0 && TokenLossWeight >= 0 && SentenceLossWeight + TokenLossWeight > 0,
            "sentence-loss-weight/token-loss-weight", "must be ≥ 0 and not both 0");
        Require(Oversample.Count is 0 or 2 && Oversample.All(w => w >= 0), "oversample", "give two task weights ≥ 0, e.g. [1, 1]");
        Require(ClassWeights.Trim().Length > 0, "class-weights", $"must be one of {string.Join(", ", Training.ClassWeights.Names)} or a weights file, not empty");
        Require(LabelOversampling.Names.Contains(OversampleLabels), "oversample-labels", $"must be one of {string.Join(", ", LabelOversampling.Names)}, not '{OversampleLabels}'");
        Require(!(OversampleLabels == LabelOversampling.Sqrt && Oversample.Count == 2), "oversample-labels",
            "sqrt and oversample (task weights) both choose how examples are drawn: give one of them");
        foreach (string rule in Freeze)
            try { FreezeRule.Parse(rule); }
            catch (FormatException e) { throw new ArgumentException($"option freeze: {e.Message}", e); }
        try { Training.TaskSchedule.Parse(TaskSchedule); }
        catch (FormatException e) { throw new ArgumentException($"option task-schedule: {e.Message}", e); }
        try { TagDecodingNames.Parse(TagDecoding); }
        catch (FormatException e) { throw new ArgumentException($"option tag-decoding: {e.Message}", e); }
        try { TokenHeadNames.Parse(TokenHead); }
        catch (FormatException e) { throw new ArgumentException($"option token-head: {e.Message}", e); }
        return this;
    }
}
