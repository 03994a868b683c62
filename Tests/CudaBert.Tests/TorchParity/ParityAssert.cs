using System.Globalization;

namespace CudaBert.Tests.TorchParity;

/// <summary>Compares one of our tensors with PyTorch's under a scale-relative tolerance.</summary>
internal static class ParityAssert
{
    /// <summary>
    /// Passes when the shapes are equal and max_i |actual_i − expected_i| ≤ tolerance · max_i |expected_i|.
    /// When PyTorch's tensor is all zeros the bound is absolute (tolerance itself).
    /// </summary>
    public static void Close(string what, int[] expectedShape, double[] expected, int[] actualShape, double[] actual, double tolerance)
    {
        if (!expectedShape.AsSpan().SequenceEqual(actualShape))
            Assert.Fail($"{what}: shape [{string.Join(", ", actualShape)}], PyTorch's is [{string.Join(", ", expectedShape)}]");
        Assert.Equal(expected.Length, actual.Length);

        double scale = 0, worst = -1;
        int worstIndex = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
            double error = Math.Abs(actual[i] - expected[i]);
            // A NaN in ours counts as the worst error (NaN > x is false, so test it explicitly).
            if (double.IsNaN(error) || error > worst)
            {
                worst = double.IsNaN(error) ? double.PositiveInfinity : error;
                worstIndex = i;
            }
        }
        if (expected.Length == 0) return;
        if (scale == 0) scale = 1;
        double relative = worst / scale;
        if (!(relative <= tolerance))
            Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{what}: scale-relative error {relative:E3} > {tolerance:E1}; worst at flat index {worstIndex}: ours {actual[worstIndex]:R}, PyTorch {expected[worstIndex]:R} (scale max|PyTorch| = {scale:R})"));
    }

    /// <summary>Compares <paramref name="actual"/> with the case's stored tensor <paramref name="tensor"/>.</summary>
    public static void MatchesTorch(FixtureCase fixtureCase, string tensor, int[] actualShape, double[] actual) =>
        Close($"{fixtureCase.Label}, tensor '{tensor}'", fixtureCase.Shape(tensor), fixtureCase.Values(tensor), actualShape, actual, fixtureCase.Tolerance);
}
