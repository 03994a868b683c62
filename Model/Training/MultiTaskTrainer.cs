using System.Diagnostics;
using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Distributed;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Metrics;

namespace CudaBert.Model.Training;

/// <summary>
/// Fine-tunes a <see cref="MultiTaskBert"/> on two-task examples with every strategy of
/// <see cref="TrainingOptions"/>: task loss weights, per-group learning rates, freeze rules, task
/// schedules, oversampling, class weights for imbalanced labels (<see cref="ImbalancePlan"/>), length
/// bucketing, warmup + linear decay, clipping and gradient accumulation. Deterministic for a seed; checkpoints (if an output folder is given) can be resumed
/// bit-identically on the device the run used (CPU or CUDA: see <see cref="TrainingOptions.Device"/>).
/// </summary>
/// <example>
/// Training in an application, with progress and a clean stop:
/// <code>
/// using var trainer = new MultiTaskTrainer(model, collator, options with { Out = "run" }, train, dev, encoderFolder);
/// var progress = new Progress&lt;StepRecord&gt;(s => Console.WriteLine($"step {s.Step + 1}/{s.TotalSteps} loss {s.Loss:F4}"));
/// TrainingResult result = trainer.Run(progress, stop.Token);   // stop: a CancellationTokenSource
/// if (result.Cancelled) Console.WriteLine($"stopped; continue later from {result.Checkpoint}");
/// </code>
/// </example>
/// <remarks>
/// One optimizer step = <see cref="TrainingOptions.GradientAccumulation"/> batches. The task schedule,
/// the freeze rules and the learning-rate schedule are evaluated at the optimizer step about to be
/// taken. A batch that carries no label of any task active at that step is skipped (and counted).
/// </remarks>
public sealed class MultiTaskTrainer : IDisposable
{
    readonly MultiTaskBert _model;
    readonly BatchCollator _collator;
    readonly TrainingOptions _options;
    readonly IReadOnlyList<TwoTaskExample> _train;
    readonly IReadOnlyList<TwoTaskExample>? _dev;
    readonly IReadOnlyList<TwoTaskExample>? _test;
    readonly string _selectBy;
    readonly string _tokenizerFolder;
    readonly ISampler _sampler;
    readonly FreezeController _freeze;
    readonly TaskSchedule _schedule;
    readonly AdamW _optimizer;
    readonly LinearWarmupSchedule _learningRate;
    readonly List<ITrainingObserver> _observers = [];
    readonly int[] _tokenCounts;
    readonly Tensor? _sentenceClassWeights;
    readonly ICommunicator _communicator;
    readonly PendingSteps _pending;
    GradientBuckets? _buckets;   // data parallel only; laid out again when freezing changes the trainable set
    readonly CudaGraphSteps? _graphSteps;
    string? _graphNotice;                    // told to the observers when the first call starts
    TrainerState _state;
    int _savedStep;
    string? _checkpoint;

    /// <summary>
    /// Moves <paramref name="model"/> to the device of <see cref="TrainingOptions.Device"/> (see
    /// <see cref="DeviceChoice"/>) before anything else; batches are collated onto that device.
    /// With an output folder (<see cref="TrainingOptions.Out"/>) it is created, checked writable and
    /// cleared of the temporaries a killed run left (<see cref="RunCheckpoints.Prepare"/>), and
    /// everything a checkpoint needs is checked (<see cref="Checkpoint.EnsureSavable"/>), so a run never
    /// fails at its first save.
    /// </summary>
    /// <param name="model">The model to train (moved to the training device).</param>
    /// <param name="collator">The tokenizer and the label sets of both heads.</param>
    /// <param name="options">The training options (checked: <see cref="TrainingOptions.Validated"/>).</param>
    /// <param name="train">The training examples.</param>
    /// <param name="dev">
    /// The dev examples, scored at each epoch end (and every <see cref="TrainingOptions.EvalEverySteps"/>); the best
    /// evaluation by <see cref="TrainingOptions.SelectBy"/> is kept as <c>OUT/best</c>. Null or empty: no evaluation.
    /// </param>
    /// <param name="tokenizerFolder">The pretrained model folder whose tokenizer files each checkpoint copies.</param>
    /// <param name="test">
    /// Test examples, scored once when the run ends (<see cref="TrainingResult.Test"/>): with the best checkpoint
    /// when there is one on disk, else with the model as training left it. Null or empty: none.
    /// </param>
    /// <param name="communicator">
    /// The ranks of a data-parallel run (see <c>docs/data-parallel.md</c>); null: this process alone. Each rank
    /// takes its share of every batch (<see cref="DataParallelRanks.Share"/>), starts from rank 0's parameters
    /// and averages its gradients with the others' before clipping; only rank 0 writes to <see cref="TrainingOptions.Out"/>.
    /// Observers and progress are told on every rank (attach those that write on rank 0 only), and a cancellation
    /// stops only the rank whose token it is: the others would wait for it at their next all-reduce.
    /// </param>
    /// <exception cref="ArgumentException">An option, a label that a checkpoint could not hold (the message names it), or a vocabulary or maximum length larger than the model's embedding tables (<see cref="BatchCollator.EnsureIdsFit"/>).</exception>
    /// <exception cref="InvalidDataException">A key of the model config that a checkpoint could not hold.</exception>
    /// <exception cref="IOException">The output folder cannot be written.</exception>
    public MultiTaskTrainer(MultiTaskBert model, BatchCollator collator, TrainingOptions options,
        IReadOnlyList<TwoTaskExample> train, IReadOnlyList<TwoTaskExample>? dev, string tokenizerFolder,
        IReadOnlyList<TwoTaskExample>? test = null, ICommunicator? communicator = null)
    {
        options = options.Validated();
        if (train.Count == 0) throw new ArgumentException("no training examples");
        // Class weights and label oversampling, auto resolved once from the training labels (first: a bad weights
        // file fails before the output folder is made); each checkpoint's state keeps the resolved modes.
        Imbalance = ImbalancePlan.Resolve(options, train, collator.SentenceLabels);
        options = options with { ClassWeights = Imbalance.ClassWeightsMode, OversampleLabels = Imbalance.LabelOversamplingMode };
        _communicator = communicator ?? SingleProcessCommunicator.Instance;
        if (_communicator.Rank != 0) options = options with { Out = null };   // rank 0 alone writes checkpoints
        collator.EnsureIdsFit(model.Config);
        if (options.Out is not null)
        {
            Checkpoint.EnsureSavable(model, collator.SentenceLabels, collator.TokenLabels, tokenizerFolder, options);
            RunCheckpoints.Prepare(options.Out);
        }
        DeviceChoice = DeviceChoice.Resolve(options.Device);
        _model = model.To(DeviceChoice.Device);
        _model.GradientCheckpointing = options.GradientCheckpointing;
        DataParallel.BroadcastParameters(_communicator, _model.Parameters());
        DataParallelRanks.SeparateDropoutStreams(_model, _communicator.Rank);
        _collator = collator;
        _options = options;
        _train = train;
        _dev = dev is { Count: > 0 } ? dev : null;
        _test = test is { Count: > 0 } ? test : null;
        _selectBy = SelectionMetric(options.SelectBy, _dev);
        _tokenizerFolder = tokenizerFolder;
        _schedule = options.Schedule;
        _freeze = new FreezeController(model, options.FreezeRules);
        _sampler = Imbalance.SamplingWeights is { } weights
            ? new WeightedRandomSampler(weights, train.Count, options.Seed)
            : new ShuffleSampler(train.Count, options.Seed);
        _sentenceClassWeights = Imbalance.SentenceClassWeights is { } classWeights ? ClassWeightTensor(classWeights, model.DType, DeviceChoice.Device) : null;
        _tokenCounts = options.LengthBucketing ? train.Select(collator.TokenCount).ToArray() : [];
        _optimizer = new AdamW(TrainingParameterGroups.Build(model, options));
        int stepsPerEpoch = StepsPerEpoch(0);
        Epochs = options.Epochs ?? TrainingRecipe.Epochs(stepsPerEpoch);
        TotalSteps = Epochs * stepsPerEpoch;
        _learningRate = new LinearWarmupSchedule((int)Math.Round(options.WarmupRatio * TotalSteps), TotalSteps);
        _state = new TrainerState { Options = options };
        _pending = new PendingSteps(DeviceChoice.Device);
        _graphSteps = CudaGraphSteps.Resolve(options, DeviceChoice.Device, _communicator.Size, _model, _optimizer, out string? eager);
        if (DeviceChoice.Device == Device.Cuda)
            _graphNotice = eager is null ? "CUDA graphs: on (a step is captured once per batch shape, then replayed)" : $"CUDA graphs: off: {eager}";
    }

    /// <summary>The run's CUDA graphs (<see cref="TrainingOptions.CudaGraphs"/>): captures, replays, or why they were given up; null when the steps run eagerly.</summary>
    public CudaGraphSteps? CudaGraphs => _graphSteps;

    void Notice(string message)
    {
        foreach (var o in _observers) o.OnNotice(message);
    }

    /// <summary>
    /// The metric that picks the best checkpoint: <paramref name="selectBy"/>, except that the default,
    /// exact frames, falls back to intent accuracy, then slot F1, when no dev example carries both labels.
    /// </summary>
    static string SelectionMetric(string selectBy, IReadOnlyList<TwoTaskExample>? dev)
    {
        if (dev is null) return selectBy;
        if (selectBy == CheckpointSelection.ExactFrames)
            selectBy = new[] { CheckpointSelection.ExactFrames, CheckpointSelection.IntentAccuracy, CheckpointSelection.SlotF1 }
                .First(m => CheckpointSelection.WhyNotScorable(m, dev) is null || m == CheckpointSelection.SlotF1);
        if (CheckpointSelection.WhyNotScorable(selectBy, dev) is { } why)
            throw new ArgumentException($"option select-by: {selectBy} cannot be scored on the dev split: {why}");
        return selectBy;
    }

    /// <summary>The metric that picks the best checkpoint (<see cref="TrainingOptions.SelectBy"/>, or its fallback when the dev split cannot score exact frames).</summary>
    public string SelectBy => _selectBy;

    /// <summary>Passes over the training data: <see cref="TrainingOptions.Epochs"/>, or the recipe's choice when that is null (<see cref="TrainingRecipe.Epochs"/>).</summary>
    public int Epochs { get; }

    /// <summary>Optimizer steps of the whole run: <see cref="Epochs"/> × ⌈batches per epoch / <see cref="TrainingOptions.GradientAccumulation"/>⌉; the learning-rate schedule spans them.</summary>
    public int TotalSteps { get; }

    /// <summary>The device the model trains on, and why it was chosen.</summary>
    public DeviceChoice DeviceChoice { get; }

    /// <summary>The class weights and label oversampling of the run (<see cref="TrainingOptions.ClassWeights"/>, <see cref="TrainingOptions.OversampleLabels"/>), and why.</summary>
    public ImbalancePlan Imbalance { get; }

    /// <summary>The sentence class weights as a [labels] tensor of the model's dtype on the training device.</summary>
    static Tensor ClassWeightTensor(IReadOnlyList<double> weights, DType dtype, Device device) =>
        dtype == DType.Float64
            ? Tensor.FromArray(weights.ToArray(), new Shape(weights.Count), device: device)
            : Tensor.FromArray(weights.Select(w => (float)w).ToArray(), new Shape(weights.Count), device: device);

    /// <summary>Test seam: called before and after each file-system operation of a checkpoint save.</summary>
    internal Action<string>? FileOperationHook { get; set; }
    /// <summary>The AdamW optimizer over the parameter groups of <see cref="TrainingParameterGroups"/>; its moments are saved in every checkpoint.</summary>
    public AdamW Optimizer => _optimizer;
    /// <summary>Where the run stands now (after <see cref="ResumeFrom"/>: where the checkpoint left it).</summary>
    public TrainerState State => _state;

    /// <summary>Adds an observer that is told of every step, evaluation and checkpoint; returns this trainer, for chaining.</summary>
    public MultiTaskTrainer Observe(ITrainingObserver observer)
    {
        _observers.Add(observer);
        return this;
    }

    /// <summary>
    /// Continues from a checkpoint written by this trainer (same options and data): a checkpoint folder,
    /// or a run folder for its newest checkpoint (<see cref="RunCheckpoints.Resolve"/>). The model must
    /// have been loaded from the same checkpoint (<see cref="MultiTaskBert.Load"/>). The best so far
    /// (<see cref="TrainerState.Best"/>) is looked for as <c>best/</c> beside the checkpoint, wherever the run folder now is.
    /// </summary>
    public void ResumeFrom(string checkpoint)
    {
        checkpoint = RunCheckpoints.Resolve(checkpoint);
        var state = Checkpoint.LoadState(checkpoint);
        Checkpoint.LoadOptimizer(checkpoint, _model, _optimizer);
        var dropouts = Checkpoint.Dropouts(_model).ToDictionary(d => d.Name, d => d.Dropout);
        foreach (var (name, stream) in state.Dropouts)
        {
            if (!dropouts.TryGetValue(name, out var dropout))
                throw new InvalidDataException($"{checkpoint}: dropout layer '{name}' is not in the model");
            (dropout.Seed, dropout.Offset) = (stream.Seed, stream.Offset);
        }
        DataParallelRanks.SeparateDropoutStreams(_model, _communicator.Rank);
        // The saved path of best/ is the one the run had when it wrote it; the run folder may since have
        // moved (or have been given relative to another working directory): best/ is the checkpoint's sibling.
        string best = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(checkpoint))!, RunCheckpoints.BestFolderName);
        _state = state with
        {
            Options = _options,
            Best = state.Best is { Folder: not null } saved ? saved with { Folder = Directory.Exists(best) ? best : null } : state.Best,
        };
        _savedStep = state.OptimizerStep;
        _checkpoint = checkpoint;
    }

    int StepsPerEpoch(int epoch) => (Batches(epoch).Count + _options.GradientAccumulation - 1) / _options.GradientAccumulation;

    /// <summary>The batches of <paramref name="epoch"/>, as example indices, in the order they are trained.</summary>
    internal List<int[]> Batches(int epoch)
    {
        int[] order = _sampler.EpochOrder(epoch);
        return _options.LengthBucketing
            ? LengthBucketing.Batches(order, i => _tokenCounts[i], _options.BatchSize, windowBatches: 50, DeterministicRandom.For(_options.Seed, 3, (ulong)epoch))
            : LengthBucketing.Consecutive(order, _options.BatchSize);
    }

    /// <summary>
    /// Trains to the end of the last epoch (from where the run stands: a new run, a resumed one, or an
    /// earlier call that stopped). A checkpoint is written at each epoch end, every
    /// <see cref="TrainingOptions.SaveEverySteps"/> steps, and when stopped (when
    /// <see cref="TrainingOptions.Out"/> is set).
    /// Its GEMMs, evaluations included, run in fp32, TF32 or bf16 as <see cref="TrainingOptions.Precision"/> says,
    /// whatever the calling thread's <see cref="MatmulPrecisionMode"/>, which is restored on return.
    /// </summary>
    /// <param name="progress">
    /// Told of every optimizer step (<see cref="StepRecord"/>: step, epoch, losses, learning rate…), on the
    /// training thread, at the next log point: every <see cref="TrainingOptions.LogEverySteps"/> steps, and
    /// before an evaluation, a checkpoint or the end of the call, the records of the steps since the last one,
    /// in order. (Reading a step's loss makes the host wait for the device, so it is done for several steps at
    /// once.) (<see cref="Progress{T}"/> passes it on to the thread that created it, e.g. a UI thread;
    /// observers, <see cref="Observe"/>, also see evaluations and checkpoints.)
    /// </param>
    /// <param name="cancellationToken">
    /// When cancelled (e.g. on Ctrl+C), the step in progress finishes, a checkpoint is written, and
    /// the call returns with <see cref="TrainingResult.Cancelled"/> set and
    /// <see cref="TrainingResult.Checkpoint"/> naming it. A later <see cref="Run(IProgress{StepRecord}, CancellationToken)"/>
    /// (or <see cref="ResumeFrom"/> in a new process) continues bit-identically.
    /// </param>
    public TrainingResult Run(IProgress<StepRecord>? progress = null, CancellationToken cancellationToken = default) =>
        Train(null, progress, cancellationToken);

    /// <summary>
    /// As <see cref="Run(IProgress{StepRecord}, CancellationToken)"/>, but stops after
    /// <paramref name="stopAfterSteps"/> optimizer steps of this call, checkpointed as a cancellation is.
    /// </summary>
    public TrainingResult Run(int stopAfterSteps, IProgress<StepRecord>? progress = null, CancellationToken cancellationToken = default) =>
        Train(stopAfterSteps, progress, cancellationToken);

    TrainingResult Train(int? stopAfterSteps, IProgress<StepRecord>? progress, CancellationToken cancellationToken)
    {
        using var precision = MatmulPrecisionMode.Use(_options.MatmulPrecision);
        var clock = Stopwatch.StartNew();
        double elapsedBefore = _state.ElapsedSeconds;
        var history = new List<StepRecord>();
        EvaluationRecord? lastEvaluation = null;
        int stepsThisCall = 0, examplesSinceLog = 0;
        double lastLogTime = 0;
        _model.Train();
        if (_graphNotice is not null) Notice(_graphNotice);
        _graphNotice = null;

        for (int epoch = _state.Epoch; epoch < Epochs && !_state.StoppedEarly; epoch++)
        {
            var batches = Batches(epoch);
            int first = epoch == _state.Epoch ? _state.BatchInEpoch : 0;
            for (int b = first; b < batches.Count; b += _options.GradientAccumulation)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    Publish(history, progress);
                    return Stop(history, lastEvaluation, clock, cancelled: true);
                }
                int step = _state.OptimizerStep;
                _freeze.Apply(step, epoch);
                var tasks = _schedule.ActiveTasks(step, epoch);
                var trainable = _model.Parameters().Where(p => p.RequiresGrad).ToArray();   // after the freeze rules of this step
                var buckets = GradientBucketsFor(trainable);
                int used = 0, examples = 0;
                int end = Math.Min(b + _options.GradientAccumulation, batches.Count);
                int accumulated = end - b;
                bool graphed = _graphSteps is not null && accumulated == 1 && GraphStep(batches[b], tasks, step, out used, out examples);
                for (int micro = b; micro < end && !graphed; micro++)
                {
                    using var scope = Tensor.Scope();
                    var slice = DataParallelRanks.Share(batches[micro], _communicator.Rank, _communicator.Size).Select(i => _train[i]).ToArray();
                    if (slice.Length == 0) continue;   // a batch with fewer examples than ranks
                    using var batch = _collator.Collate(slice, DeviceChoice.Device);
                    var (sentenceLabels, tokenLabels) = Labels(batch, tasks);
                    if (sentenceLabels is null && tokenLabels is null)
                    {
                        _state = _state with { SkippedBatches = _state.SkippedBatches + 1 };
                        continue;
                    }
                    var output = _model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                    var loss = _model.Loss(output, sentenceLabels, tokenLabels, _options.SentenceLossWeight, _options.TokenLossWeight, _sentenceClassWeights, batch.WordTags);
                    var scaled = accumulated == 1 ? loss.Total : Ops.Scale(loss.Total, 1.0 / accumulated);
                    // The step's last backward pass finishes the gradients: each bucket of them is averaged over
                    // the ranks as soon as it is complete (GradientBuckets), while the pass goes on.
                    scaled.Backward(micro == end - 1 && buckets is not null ? buckets.GradientDone : null);
                    _pending.AddBatch(loss.Total, loss.SentenceLoss, loss.TokenLoss);   // kept on the device: no wait here
                    used++;
                    examples += slice.Length;
                }

                if (!graphed && (buckets?.Finish(contributed: used > 0) ?? used > 0))
                {
                    if (_options.MaxGradNorm > 0)
                        GradientClipping.ClipGradNorm(trainable, _options.MaxGradNorm, _pending.GradNorm());
                    _learningRate.Apply(_optimizer, step);
                    _optimizer.Step();
                }
                _optimizer.ZeroGrad();
                _state = _state with
                {
                    Epoch = end >= batches.Count ? epoch + 1 : epoch,
                    BatchInEpoch = end >= batches.Count ? 0 : end,
                    OptimizerStep = step + 1,
                    ElapsedSeconds = elapsedBefore + clock.Elapsed.TotalSeconds,
                };
                stepsThisCall++;

                examplesSinceLog += examples;
                double now = clock.Elapsed.TotalSeconds;
                // The losses and the norm are filled in at the next log point (PendingSteps).
                _pending.EndStep(new StepRecord(step, epoch, double.NaN, null, null,
                    _optimizer.Groups[0].LearningRate, null, examples, examplesSinceLog / Math.Max(now - lastLogTime, 1e-9),
                    _state.ElapsedSeconds, TotalSteps));
                examplesSinceLog = 0;
                lastLogTime = now;

                bool epochDone = end >= batches.Count;
                bool evaluate = epochDone || _options.EvalEverySteps > 0 && (step + 1) % _options.EvalEverySteps == 0;
                bool save = epochDone || _options.SaveEverySteps > 0 && (step + 1) % _options.SaveEverySteps == 0;
                bool stopNow = stopAfterSteps is int limit && stepsThisCall >= limit;
                if (evaluate || save || stopNow || (step + 1) % _options.LogEverySteps == 0) Publish(history, progress);
                if (evaluate) lastEvaluation = Evaluate(step, epoch);
                bool stopEarly = lastEvaluation is not null && evaluate && _options.Patience > 0 && _state.EvaluationsWithoutImprovement >= _options.Patience;
                if (stopEarly) _state = _state with { StoppedEarly = true };
                if (stopEarly || save) SaveCheckpoint();
                if (stopEarly) break;
                if (stopNow) return Stop(history, lastEvaluation, clock, cancelled: false);
            }
        }
        Publish(history, progress);
        return Result(history, lastEvaluation, clock, cancelled: false) with { Test = ScoreTest() };
    }

    /// <summary>
    /// One optimizer step of one batch through <see cref="CudaGraphSteps"/>: the same work as the eager loop's
    /// (<see cref="EagerStep"/>), captured or replayed. False when it must run eagerly (nothing was done then).
    /// </summary>
    bool GraphStep(int[] indices, TaskSet tasks, int step, out int used, out int examples)
    {
        (used, examples) = (0, 0);
        if (_graphSteps!.EagerBecause is not null) return false;
        using var scope = Tensor.Scope();
        var slice = indices.Select(i => _train[i]).ToArray();
        using var batch = _collator.Collate(slice, DeviceChoice.Device);
        var (sentenceLabels, tokenLabels) = Labels(batch, tasks);
        if (sentenceLabels is null && tokenLabels is null) return false;   // skipped: the eager loop counts it
        _learningRate.Apply(_optimizer, step);
        var losses = _graphSteps.TryStep(batch, sentenceLabels is not null, tokenLabels is not null, inputs => EagerStep(inputs, tasks), Notice);
        if (losses is not { } l) return false;
        _pending.AddBatch(l.Total, l.Sentence, l.Tokens);
        if (_options.MaxGradNorm > 0) _pending.GradNorm();   // the graph wrote this step's norm there
        (used, examples) = (1, slice.Length);
        return true;
    }

    /// <summary>The labels of the tasks active at this step that have a loss weight: null for a head without a loss.</summary>
    (Tensor? Sentence, Tensor? Tokens) Labels(TwoTaskBatch batch, TaskSet tasks) =>
        (tasks.HasFlag(TaskSet.Sentence) && _options.SentenceLossWeight > 0 ? batch.SentenceLabels : null,
         tasks.HasFlag(TaskSet.Tokens) && _options.TokenLossWeight > 0 ? batch.TokenLabels : null);

    /// <summary>
    /// A whole optimizer step of one batch as the eager loop runs it (forward, loss, backward, clipping, AdamW),
    /// for capture: every launch it makes is recorded. The learning rate is already set.
    /// </summary>
    CudaGraphSteps.StepLosses EagerStep(TwoTaskBatch batch, TaskSet tasks)
    {
        var (sentenceLabels, tokenLabels) = Labels(batch, tasks);
        var output = _model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
        var loss = _model.Loss(output, sentenceLabels, tokenLabels, _options.SentenceLossWeight, _options.TokenLossWeight, _sentenceClassWeights, batch.WordTags);
        loss.Total.Backward();
        if (_options.MaxGradNorm > 0)
            GradientClipping.ClipGradNorm(_model.Parameters().Where(p => p.RequiresGrad), _options.MaxGradNorm, _pending.GradNorm());
        _optimizer.Step();
        return new(loss.Total, loss.SentenceLoss, loss.TokenLoss);
    }

    /// <summary>
    /// A log point: reads the losses and gradient norms of the steps since the last one from the device
    /// (the only reads of the training loop) and tells the history, the observers and the progress of each
    /// step, in order.
    /// </summary>
    void Publish(List<StepRecord> history, IProgress<StepRecord>? progress)
    {
        foreach (var record in _pending.Read())
        {
            history.Add(record);
            foreach (var o in _observers) o.OnStep(record);
            progress?.Report(record);
        }
    }

    /// <summary>Ends a call before the last epoch: checkpoints the steps taken since the last save.</summary>
    TrainingResult Stop(List<StepRecord> history, EvaluationRecord? evaluation, Stopwatch clock, bool cancelled)
    {
        if (_state.OptimizerStep > _savedStep) SaveCheckpoint();
        return Result(history, evaluation, clock, cancelled);
    }

    TrainingResult Result(List<StepRecord> history, EvaluationRecord? evaluation, Stopwatch clock, bool cancelled)
    {
        double seconds = clock.Elapsed.TotalSeconds;
        int examples = history.Sum(h => h.Examples);
        return new TrainingResult(_state.OptimizerStep, _state.Epoch, _state.ElapsedSeconds, examples / Math.Max(seconds, 1e-9),
            history, evaluation, _state.SkippedBatches, cancelled, _checkpoint)
        {
            Best = _state.Best,
            StoppedEarly = _state.StoppedEarly,
        };
    }

    /// <summary>Scores the test split, if any, with the best checkpoint on disk, else with the model as it is.</summary>
    TestRecord? ScoreTest()
    {
        if (_test is null) return null;
        TestRecord record;
        if (_state.Best is { Folder: { } folder } best)
        {
            using var kept = MultiTaskBert.Load(folder).To(DeviceChoice.Device);
            record = new TestRecord(best.Step, CheckpointSelection.BestName, Evaluate(kept, _collator, _test, _options.BatchSize, _options.Decoding));
        }
        else
        {
            record = new TestRecord(_state.OptimizerStep, CheckpointSelection.LastName, Evaluate(_model, _collator, _test, _options.BatchSize, _options.Decoding));
        }
        foreach (var o in _observers) o.OnTest(record);
        return record;
    }


    EvaluationRecord? Evaluate(int step, int epoch)
    {
        if (_dev is null) return null;
        var scores = Evaluate(_model, _collator, _dev, _options.BatchSize, _options.Decoding);
        double? loss = _selectBy == CheckpointSelection.Loss ? DevLoss(_dev) : null;
        var record = new EvaluationRecord(step, epoch, scores, _state.ElapsedSeconds, loss);
        foreach (var o in _observers) o.OnEvaluation(record);
        double value = CheckpointSelection.ValueOf(_selectBy, record)
                       ?? throw new InvalidOperationException($"select-by {_selectBy}: the dev evaluation at step {step + 1} has no such score");
        if (CheckpointSelection.Improves(_selectBy, value, _state.Best?.Value))
        {
            string? folder = SaveBest();
            var best = new BestCheckpoint(step + 1, _selectBy, value, folder);
            _state = _state with { Best = best, EvaluationsWithoutImprovement = 0 };
            foreach (var o in _observers) o.OnBest(best);
        }
        else
        {
            _state = _state with { EvaluationsWithoutImprovement = _state.EvaluationsWithoutImprovement + 1 };
        }
        return record;
    }

    /// <summary>The training loss on <paramref name="examples"/> (dropout off, no gradients), averaged over examples.</summary>
    double DevLoss(IReadOnlyList<TwoTaskExample> examples)
    {
        bool wasTraining = _model.IsTraining;
        _model.Eval();
        try
        {
            using var noGrad = GradMode.NoGrad();
            double sum = 0;
            int counted = 0;
            for (int start = 0; start < examples.Count; start += _options.BatchSize)
            {
                using var scope = Tensor.Scope();
                var slice = examples.Skip(start).Take(_options.BatchSize).ToArray();
                using var batch = _collator.Collate(slice, DeviceChoice.Device);
                if (batch.SentenceLabels is null && batch.TokenLabels is null) continue;
                var output = _model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                var loss = _model.Loss(output, batch.SentenceLabels, batch.TokenLabels, _options.SentenceLossWeight, _options.TokenLossWeight, _sentenceClassWeights, batch.WordTags);
                sum += loss.Total.Item() * slice.Length;
                counted += slice.Length;
            }
            return sum / counted;
        }
        finally
        {
            _model.Train(wasTraining);
        }
    }

    /// <summary>Writes the model as it is now to <c>OUT/best</c> (no optimizer state: it is for predicting, not resuming); null without an output folder.</summary>
    string? SaveBest()
    {
        if (_options.Out is null) return null;
        string folder = RunCheckpoints.SaveBest(_options.Out,
            staged => Checkpoint.Save(staged, _model, _collator.SentenceLabels, _collator.TokenLabels, _tokenizerFolder, optimizer: null, state: null, FileOperationHook),
            FileOperationHook);
        return folder;
    }

    /// <summary>Predicts every example (with the forward pass as <paramref name="graphs"/>, if given) and scores the predictions against the examples' labels.</summary>
    public static JointScores Evaluate(MultiTaskBert model, BatchCollator collator, IReadOnlyList<TwoTaskExample> examples, int batchSize = 32,
        TagDecoding decoding = TagDecoding.Constrained, CudaGraphForward? graphs = null)
    {
        var predictions = TwoTaskPredictor.Predict(model, collator, examples, batchSize, decoding, graphs);
        return JointScores.Compute(examples, predictions.Select(p => p.SentenceLabel).ToArray(),
            predictions.Select(p => (IReadOnlyList<string>)p.WordTags).ToArray());
    }

    /// <summary>Writes <c>OUT/checkpoint-STEP</c> and removes the checkpoints beyond <see cref="TrainingOptions.KeepCheckpoints"/> (see <see cref="RunCheckpoints"/>).</summary>
    void SaveCheckpoint()
    {
        if (_options.Out is null) return;
        var state = _state with { Dropouts = Checkpoint.Dropouts(_model).ToDictionary(d => d.Name, d => new DropoutStream(d.Dropout.Seed, d.Dropout.Offset)) };
        _checkpoint = RunCheckpoints.Save(_options.Out, _state.OptimizerStep, _options.KeepCheckpoints,
            folder => Checkpoint.Save(folder, _model, _collator.SentenceLabels, _collator.TokenLabels, _tokenizerFolder, _optimizer, state, FileOperationHook),
            FileOperationHook);
        _savedStep = _state.OptimizerStep;
        foreach (var o in _observers) o.OnCheckpoint(_checkpoint);
    }

    /// <summary>
    /// The gradient buckets of the trainable parameters <paramref name="trainable"/> when several ranks train
    /// (null for one process): the same as the last step's unless a freeze rule changed the set, which
    /// happens at the same step on every rank.
    /// </summary>
    GradientBuckets? GradientBucketsFor(Tensor[] trainable)
    {
        if (_communicator.Size == 1) return null;
        if (_buckets is null || !_buckets.Parameters.SequenceEqual(trainable, ReferenceEqualityComparer.Instance))
        {
            _buckets?.Dispose();
            _buckets = new GradientBuckets(_communicator, trainable, (long)(_options.BucketCapMegabytes * 1024 * 1024));
        }
        return _buckets;
    }

    /// <summary>Frees the optimizer's moment tensors, the class weights, the buffers of pending losses and the gradient buckets; the model belongs to the caller and is not disposed.</summary>
    public void Dispose()
    {
        _buckets?.Dispose();
        _graphSteps?.Dispose();
        _optimizer.Dispose();
        _sentenceClassWeights?.Dispose();
        _pending.Dispose();
    }
}
