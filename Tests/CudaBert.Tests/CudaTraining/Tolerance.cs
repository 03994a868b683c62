namespace CudaBert.Tests.CudaTraining;

/// <summary>How close a CUDA training result must be to its CPU reference, where one bound serves several tests.</summary>
static class Tolerance
{
    /// <summary>
    /// Parameters after a few AdamW steps, relative to their tensor's largest entry. Looser than for
    /// gradients: AdamW divides each entry's gradient by that entry's own running RMS, so where a
    /// gradient is tiny next to the rest of its tensor, the rounding difference between the devices
    /// becomes a visible difference in the step (measured: up to 1.2e-5 after 3 steps at lr 3e-3).
    /// </summary>
    public const double ParametersAfterAdamW = 5e-5;
}
