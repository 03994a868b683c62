namespace CudaBert.Engine.Optim;

/// <summary>
/// Parameters that share a learning rate and weight decay (as a PyTorch param group): e.g. the
/// encoder with a small lr, the heads with a larger one, biases and LayerNorm weights without decay.
/// </summary>
public sealed class ParameterGroup(IEnumerable<Tensor> parameters, double learningRate, double weightDecay = 0.0)
{
    /// <summary>The tensors this group updates (a copy of the sequence given).</summary>
    public IReadOnlyList<Tensor> Parameters { get; } = parameters.ToList();

    /// <summary>The current learning rate (schedules overwrite it each step).</summary>
    public double LearningRate { get; set; } = learningRate;

    /// <summary>The learning rate the group was created with (schedules scale it).</summary>
    public double InitialLearningRate { get; } = learningRate;

    /// <summary>Decoupled weight decay λ: each step multiplies a parameter by 1 − lr·λ (0: none).</summary>
    public double WeightDecay { get; set; } = weightDecay;
}
