namespace CudaBert.Tests.CudaDevice;

/// <summary>Random kernel inputs (never zero: a zero hides a dropped term) and number-format helpers.</summary>
static class TestInputs
{
    /// <summary>float32 unit roundoff: one correctly rounded operation has relative error at most U.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>Values in [-scale, -scale/10] ∪ [scale/10, scale], uniformly, from a fixed seed.</summary>
    public static float[] NonZero(int seed, int count, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            float magnitude = scale * (0.1f + 0.9f * random.NextSingle());
            values[i] = random.Next(2) == 0 ? magnitude : -magnitude;
        }
        return values;
    }

    /// <summary>
    /// Rounds to TF32 (10 explicit mantissa bits) as cvt.rna.tf32.f32 does: to nearest, ties away from
    /// zero, kept in float32 format with the low 13 bits zero. (Finite inputs only.)
    /// </summary>
    public static float RoundToTf32(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        return BitConverter.UInt32BitsToSingle((bits + 0x1000u) & ~0x1FFFu);
    }

    /// <summary>bfloat16 bits of <paramref name="x"/>, rounded to nearest even (finite inputs only).</summary>
    public static ushort ToBf16(float x)
    {
        uint bits = BitConverter.SingleToUInt32Bits(x);
        uint roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    public static float FromBf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>
    /// Asserts that <paramref name="c"/> (M x N, row-major) is A Bᵀ for row-major A (M x K) and B (N x K),
    /// given as the values the tensor core multiplies (already rounded to its input format, so every
    /// product is exact in float64). The tensor core accumulates in float32, in an order of its own:
    /// one rounding per product, |error| ≤ K u Σ|a||b|. A misplaced fragment element gives errors of order |a||b|.
    /// </summary>
    public static void AssertTensorCoreABt(float[] a, float[] b, float[] c, int M, int N, int K)
    {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double dot = 0, magnitude = 0;
                for (int k = 0; k < K; k++)
                {
                    double product = (double)a[i * K + k] * b[j * K + k];
                    dot += product;
                    magnitude += Math.Abs(product);
                }
                AssertClose.Scalar(dot, c[i * N + j], $"C[{i}][{j}]", absolute: K * U * magnitude);
            }
    }
}
