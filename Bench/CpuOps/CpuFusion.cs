namespace CudaBert.Bench.CpuOps;

/// <summary>
/// The fused primitives of the CPU backend, at the shapes of MiniLM on SNIPS (batch 32, 50 tokens,
/// hidden 384, FFN 1536): 1600 rows.
/// </summary>
public enum CpuFusion
{
    /// <summary>y = GELU(x·Wᵀ + b) keeping the pre-activation, x [1600, 384], W [1536, 384]; separately Gemm, AddBias, Gelu.</summary>
    LinearBiasGelu,
    /// <summary>y = LayerNorm(dropout(x, 0.1) + residual) over [1600, 384]; separately Dropout, Add, LayerNorm.</summary>
    DropoutResidualLayerNorm,
    /// <summary>
    /// Attention's forward, q, k, v [32, 50, 12·32] (MiniLM's heads), padding mask, dropout 0.1 on the probabilities; separately
    /// three head splits, Q·Kᵀ, ScaledMaskedSoftmax, Dropout, P·V, a head merge; fused FusedAttention (equal up to rounding only).
    /// </summary>
    FusedAttention,
}
