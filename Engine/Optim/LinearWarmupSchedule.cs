namespace CudaBert.Engine.Optim;

/// <summary>
/// Linear warmup then linear decay to zero, as Hugging Face's <c>get_linear_schedule_with_warmup</c>:
/// factor(t) = t / warmup while t &lt; warmup, then (total − t) / (total − warmup), never below 0.
/// Each group's learning rate is its initial one times the factor.
/// </summary>
public sealed class LinearWarmupSchedule(int warmupSteps, int totalSteps)
{
    /// <summary>Steps over which the factor rises linearly from 0 to 1.</summary>
    public int WarmupSteps { get; } = warmupSteps;
    /// <summary>The step at which the factor reaches 0 (the whole run's optimizer steps).</summary>
    public int TotalSteps { get; } = totalSteps;

    /// <summary>The multiplier of the initial learning rate at 0-based <paramref name="step"/>, in [0, 1].</summary>
    public double Factor(int step) => step < WarmupSteps
        ? (double)step / Math.Max(1, WarmupSteps)
        : Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));

    /// <summary>Sets every group's learning rate for optimizer step number <paramref name="step"/> (0-based).</summary>
    public void Apply(AdamW optimizer, int step)
    {
        foreach (var group in optimizer.Groups) group.LearningRate = group.InitialLearningRate * Factor(step);
    }
}
