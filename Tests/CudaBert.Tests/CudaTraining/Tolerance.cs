namespace CudaBert.Tests.CudaTraining;

/// <summary>How close a CUDA result must be to its CPU reference.</summary>
static class Tolerance
{
    /// <summary>
    /// Parameters after a few AdamW steps, relative to their tensor's largest entry. Looser than for
    /// gradients: AdamW divides each entry's gradient by that entry's own running RMS, so where a
    /// gradient is tiny next to the rest of its tensor, the rounding difference between the devices
    /// becomes a visible difference in the step (measured: up to 1.2e-5 after 3 steps at lr 3e-3).
    /// </summary>
    public const double ParametersAfterAdamW = 5e-5;

    /// <summary>|cuda − cpu| ≤ relative·|cpu| (a loss: a mean of O(1) terms).</summary>
    public static void Near(double cpu, double cuda, double relative, string what)
    {
        Assert.True(Math.Abs(cuda - cpu) <= relative * Math.Abs(cpu), $"{what}: CPU {cpu:R}, CUDA {cuda:R} (relative error {Math.Abs(cuda - cpu) / Math.Abs(cpu):E2} > {relative:E0})");
    }

    /// <summary>
    /// Every element within relative·max|cpu| + absolute: a tensor-wide scale, since single entries of
    /// a gradient may cancel to near zero. The absolute floor is for gradients that are zero in exact
    /// arithmetic (the attention key bias: softmax ignores a shift shared by a whole row), which are
    /// rounding noise on both devices.
    /// </summary>
    public static void CloseToScale(float[] cpu, float[] cuda, double relative, double absolute, string what)
    {
        Assert.Equal(cpu.Length, cuda.Length);
        double bound = relative * cpu.Max(v => Math.Abs((double)v)) + absolute;
        // The element with the largest difference is named; a NaN counts as the largest (every
        // comparison with NaN is false, so a plain "greater than" search would step over it).
        static double Difference(float want, float got)
        {
            double difference = Math.Abs((double)got - want);
            return double.IsNaN(difference) ? double.PositiveInfinity : difference;
        }
        int worst = 0;
        for (int i = 1; i < cpu.Length; i++)
            if (Difference(cpu[i], cuda[i]) > Difference(cpu[worst], cuda[worst])) worst = i;
        double error = Math.Abs((double)cuda[worst] - cpu[worst]);
        Assert.True(error <= bound, $"{what}[{worst}]: CPU {cpu[worst]:R}, CUDA {cuda[worst]:R} (difference {error:E3} > bound {bound:E3})");
    }
}
