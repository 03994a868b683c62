namespace CudaBert.Bench.CpuOps;

/// <summary>
/// The memory-bound primitives of a BERT layer on the CPU backend, at BERT-base sizes (batch 32,
/// sequence 128, 12 heads, hidden 768, FFN 3072).
/// </summary>
public enum CpuOp
{
    /// <summary>Layer norm over 768 features of 4096 tokens.</summary>
    LayerNorm,
    LayerNormBackward,
    /// <summary>Scaled masked softmax over attention scores [32, 12, 128, 128].</summary>
    Softmax,
    SoftmaxBackward,
    /// <summary>GELU (erf) over the FFN activations [4096, 3072].</summary>
    Gelu,
    GeluBackward,
    /// <summary>GELU's tanh approximation over the FFN activations [4096, 3072].</summary>
    GeluTanh,
    GeluTanhBackward,
    /// <summary>Mean over the sequence axis of hidden states [32, 128, 768] (keepdim off), and its backward.</summary>
    MeanOverAxis,
    MeanOverAxisBackward,
}
