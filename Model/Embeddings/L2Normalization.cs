namespace CudaBert.Model.Embeddings;

/// <summary>
/// v / max(‖v‖₂, 1e-12), in place: <c>torch.nn.functional.normalize</c>, the last step of the
/// sentence-transformers recipe, after which a dot product is the cosine similarity.
/// </summary>
public static class L2Normalization
{
    /// <summary>Smallest norm divided by, so that a zero vector stays zero instead of becoming NaN.</summary>
    public const double Eps = 1e-12;

    /// <summary>Scales <paramref name="vector"/> in place to unit L2 norm (sums in double precision).</summary>
    public static void Normalize(Span<float> vector)
    {
        double sumOfSquares = 0;
        foreach (float v in vector) sumOfSquares += (double)v * v;
        double scale = 1.0 / Math.Max(Math.Sqrt(sumOfSquares), Eps);
        for (int i = 0; i < vector.Length; i++) vector[i] = (float)(vector[i] * scale);
    }
}
