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
}
