namespace CudaBert.Bench.Gemm;

/// <summary>
/// One GEMM of BERT training: C (M×N) = op(A) (M×K) · op(B) (K×N), named by the role it plays;
/// <see cref="Batch"/> > 1 is a strided batch of such products (attention, one per head).
/// </summary>
/// <param name="Role">What the product computes: a linear layer's forward X·Wᵀ, its input gradient dY·W, its weight gradient dYᵀ·X; attention's Q·Kᵀ, P·V, Pᵀ·dC.</param>
public sealed record GemmShape(string Role, bool TransA, bool TransB, int M, int N, int K, int Batch = 1)
{
    /// <summary>
    /// The products of a BERT training step: M = batch·sequence ∈ {1024, 4096}; hidden 384 (MiniLM)
    /// or 768 (BERT-base), FFN 1536 / 3072; the three products of a linear layer (forward, input
    /// gradient, weight gradient), so every transpose the training step uses.
    /// </summary>
    public static IEnumerable<GemmShape> Bert =>
    [
        new("X·Wᵀ", false, true, 1024, 768, 768),      // BERT-base attention projections
        new("X·Wᵀ", false, true, 1024, 3072, 768),     // BERT-base FFN up
        new("X·Wᵀ", false, true, 1024, 768, 3072),     // BERT-base FFN down
        new("X·Wᵀ", false, true, 4096, 1536, 384),     // MiniLM FFN up, long batch
        new("dY·W", false, false, 1024, 768, 3072),    // input gradient of FFN up
        new("dY·W", false, false, 4096, 384, 1536),    // input gradient of MiniLM FFN up
        new("dYᵀ·X", true, false, 768, 3072, 1024),    // weight gradient of FFN down
        new("dYᵀ·X", true, false, 768, 768, 4096),     // weight gradient of a projection, long batch
        // Attention of BERT-base at batch 32, sequence 128: 32·12 heads of head size 64.
        new("Q·Kᵀ", false, true, 128, 128, 64, 384),   // scores
        new("P·V", false, false, 128, 64, 128, 384),   // context
        new("Pᵀ·dC", true, false, 128, 64, 128, 384),  // gradient of V
    ];

    /// <summary>Floating-point operations: one multiply and one add per (i, j, p), per matrix of the batch.</summary>
    public double Flops => 2.0 * M * N * K * Batch;

    /// <summary>Elements between consecutive matrices of the batch (packed, no gaps).</summary>
    public long StrideA => (long)M * K;
    public long StrideB => (long)K * N;
    public long StrideC => (long)M * N;

    /// <summary>Row strides of the stored operands (row-major, no padding).</summary>
    public int Lda => TransA ? M : K;
    public int Ldb => TransB ? K : N;

    public override string ToString() => Batch == 1 ? $"{Role} {M}×{N}×{K}" : $"{Role} {Batch}×({M}×{N}×{K})";
}
