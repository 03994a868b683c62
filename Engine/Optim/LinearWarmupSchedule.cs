namespace CudaBert.Engine.Optim;

/// <summary>
/// Linear warmup then linear decay to zero, as Hugging Face's <c>get_linear_schedule_with_warmup</c>:
/// factor(t) = t / warmup while t &lt; warmup, then (total − t) / (total − warmup), never below 0.
/// Each group's learning rate is its initial one times the factor.
/// </summary>
public sealed class LinearWarmupSchedule(int warmupSteps, int totalSteps)
{
    public int WarmupSteps { get; } = warmupSteps;
    public int TotalSteps { get; } = totalSteps;

    public double Factor(int step) => step < WarmupSteps
        ? (double)step / Math.Max(1, WarmupSteps)
        : Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));

    /// <summary>Sets every group's learning rate for optimizer step number <paramref name="step"/> (0-based).</summary>
    public void Apply(AdamW optimizer, int step)
    {
        foreach (var group in optimizer.Groups) group.LearningRate = group.InitialLearningRate * Factor(step);
    }
}
