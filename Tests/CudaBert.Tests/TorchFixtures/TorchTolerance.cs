namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// How far our results may be from PyTorch's, as a scale-relative error:
/// max_i |ours_i − torch_i| / max_i |torch_i| (see <see cref="TorchAssert"/>). Measuring against
/// the tensor's scale rather than each element keeps the bound meaningful for elements that are
/// close to 0 after cancellation, where any two correct implementations differ in relative terms.
/// </summary>
internal static class TorchTolerance
{
    /// <summary>
    /// float64: both sides compute in double and differ only in summation order; with at most a
    /// few dozen terms per sum the rounding differences stay near 1e-15 of the scale.
    /// </summary>
    public const double Float64 = 1e-12;

    /// <summary>
    /// float32: PyTorch and we both round every operation at 2^-24 ≈ 6e-8 relative; sums of up to
    /// ~30 terms, exp/erf/tanh and a division each add a few of those, staying under 1e-6. 1e-5
    /// leaves a margin of ten.
    /// </summary>
    public const double Float32 = 1e-5;
}
