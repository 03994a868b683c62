namespace CudaBert.Model.Training;

/// <summary>
/// Where a run stands, saved in every checkpoint as <c>trainer_state.json</c>: the next batch to
/// train (epoch and index within the epoch's batch list, which is a pure function of the seed and
/// the epoch), the optimizer step count, and each dropout layer's Philox key and offset. With the model and
/// optimizer tensors this is everything a resumed run needs to continue bit-identically.
/// </summary>
public sealed record TrainerState
{
    public int Epoch { get; init; }
    public int BatchInEpoch { get; init; }
    public int OptimizerStep { get; init; }
    public int SkippedBatches { get; init; }
    public double ElapsedSeconds { get; init; }
    public Dictionary<string, DropoutStream> Dropouts { get; init; } = [];
    public TrainingOptions Options { get; init; } = new();
}

/// <summary>A dropout layer's random stream: its Philox key and the position of its next mask.</summary>
public sealed record DropoutStream(ulong Seed, ulong Offset);
