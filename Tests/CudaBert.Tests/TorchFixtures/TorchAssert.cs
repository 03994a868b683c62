namespace CudaBert.Tests.TorchFixtures;

/// <summary>Compares one of our tensors with PyTorch's under a scale-relative bound (see <see cref="TorchTolerance"/>).</summary>
internal static class TorchAssert
{
    /// <summary>
    /// Passes when the shapes are equal and max_i |actual_i − expected_i| ≤ relative · max_i |expected_i|.
    /// When PyTorch's tensor is all zeros there is no scale, and the bound is <paramref name="relative"/> itself.
    /// </summary>
    public static void Close(int[] expectedShape, double[] expected, int[] actualShape, double[] actual, string what, double relative)
    {
        if (!expectedShape.AsSpan().SequenceEqual(actualShape))
            Assert.Fail($"{what}: shape [{string.Join(", ", actualShape)}], PyTorch's is [{string.Join(", ", expectedShape)}]");
        bool noScale = expected.All(v => v == 0);
        AssertClose.ToScale(expected, actual, $"{what} (expected: PyTorch's)", absolute: noScale ? relative : 0, relative: relative);
    }

    /// <summary>Compares <paramref name="actual"/> with the case's stored tensor <paramref name="tensor"/>.</summary>
    public static void MatchesTorch(FixtureCase fixtureCase, string tensor, int[] actualShape, double[] actual) =>
        Close(fixtureCase.Shape(tensor), fixtureCase.Values(tensor), actualShape, actual, $"{fixtureCase.Label}, tensor '{tensor}'", relative: fixtureCase.Tolerance);
}
