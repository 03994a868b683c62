namespace CudaBert.Model.Training;

/// <summary>
/// Where a run stands, saved in every checkpoint as <c>trainer_state.json</c>: the next batch to
/// train (epoch and index within the epoch's batch list, which is a pure function of the seed and
/// the epoch), the optimizer step count, and each dropout layer's Philox key and offset. With the model and
/// optimizer tensors this is everything a resumed run needs to continue bit-identically.
/// </summary>
public sealed record TrainerState
{
    /// <summary>The epoch of the next batch to train, from 0.</summary>
    public int Epoch { get; init; }
    /// <summary>Index of the next batch in its epoch's batch list, from 0.</summary>
    public int BatchInEpoch { get; init; }
    /// <summary>Optimizer steps taken so far; also the number of the next step.</summary>
    public int OptimizerStep { get; init; }
    /// <summary>Batches skipped so far because they carried no label of a task active at their step.</summary>
    public int SkippedBatches { get; init; }
    /// <summary>Training time so far in seconds, summed over the run and every resumption of it.</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>The best dev evaluation so far (by <see cref="TrainingOptions.SelectBy"/>), or null before the first one.</summary>
    public BestCheckpoint? Best { get; init; }
    /// <summary>Dev evaluations in a row, since the best, that did not improve on it (compared with <see cref="TrainingOptions.Patience"/>).</summary>
    public int EvaluationsWithoutImprovement { get; init; }
    /// <summary>The run ended early (<see cref="TrainingOptions.Patience"/> reached): a later call trains no further.</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>Each dropout layer's random stream, by dotted module path (e.g. <c>bert.embeddings.dropout</c>).</summary>
    public Dictionary<string, DropoutStream> Dropouts { get; init; } = [];
    /// <summary>The options the run was started with.</summary>
    public TrainingOptions Options { get; init; } = new();
}

/// <summary>A dropout layer's random stream: its Philox key and the position of its next mask.</summary>
public sealed record DropoutStream(ulong Seed, ulong Offset);
