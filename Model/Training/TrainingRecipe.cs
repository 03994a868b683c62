namespace CudaBert.Model.Training;

/// <summary>
/// The values a run takes for the options it was not given, each from a rule rather than from one
/// dataset's tuning:
/// <list type="bullet">
/// <item><b>Fresh heads learn faster than the pretrained encoder.</b> The encoder starts from weights that
/// already encode language and only needs nudging; the heads start from N(0, 0.02²) and must travel
/// far. Their default learning rate is <see cref="HeadLearningRateFactor"/> × the encoder's.</item>
/// <item><b>A number of updates, not a number of passes.</b> What a fine-tuning run needs is enough
/// optimizer steps for the heads to converge and the encoder to adapt: about <see cref="TargetSteps"/>.
/// A large dataset reaches them in a few epochs, a small one needs more passes over the same examples
/// (bounded, because re-reading a few hundred examples a hundred times only memorises them):
/// epochs = ⌈<see cref="TargetSteps"/> / steps per epoch⌉ clamped to [<see cref="MinEpochs"/>, <see cref="MaxEpochs"/>].</item>
/// <item><b>Warmup as a share of the steps</b> (<see cref="TrainingOptions.WarmupRatio"/>, 10 %), so it
/// scales with the run; then linear decay to 0.</item>
/// <item><b>Keep the best, not the last</b>: the dev split is scored at every epoch end and the best
/// checkpoint kept (<see cref="TrainingOptions.SelectBy"/>), so a run that is a little too long costs time, not quality.</item>
/// </list>
/// </summary>
public static class TrainingRecipe
{
    /// <summary>The peak learning rate of the encoder (and of any group without its own rate).</summary>
    public const double LearningRate = 1e-4;

    /// <summary>Head learning rate ÷ encoder learning rate when a head's rate is not given.</summary>
    public const double HeadLearningRateFactor = 20;

    /// <summary>The optimizer steps a run aims for when the number of epochs is not given.</summary>
    public const int TargetSteps = 3000;

    /// <summary>The fewest epochs a run with no epoch count takes, however large the dataset.</summary>
    public const int MinEpochs = 3;

    /// <summary>The most epochs a run with no epoch count takes, however small the dataset.</summary>
    public const int MaxEpochs = 10;

    /// <summary>
    /// Epochs for a run with <paramref name="stepsPerEpoch"/> optimizer steps per epoch:
    /// ⌈<see cref="TargetSteps"/> / <paramref name="stepsPerEpoch"/>⌉ clamped to [<see cref="MinEpochs"/>, <see cref="MaxEpochs"/>].
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="stepsPerEpoch"/> is not positive.</exception>
    public static int Epochs(int stepsPerEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepsPerEpoch);
        int epochs = (TargetSteps + stepsPerEpoch - 1) / stepsPerEpoch;
        return Math.Clamp(epochs, MinEpochs, MaxEpochs);
    }

    /// <summary>A head's learning rate when it has none of its own: <see cref="HeadLearningRateFactor"/> × <paramref name="learningRate"/>.</summary>
    public static double HeadLearningRate(double learningRate) => HeadLearningRateFactor * learningRate;
}
