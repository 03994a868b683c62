namespace CudaBert.Engine.Nn;

/// <summary>Layer normalisation over the last axis; weight = 1, bias = 0 at init; BERT uses eps 1e-12.</summary>
public sealed class LayerNorm : Module
{
    /// <summary>Normalises vectors of <paramref name="features"/> elements with weight 1 and bias 0; <paramref name="eps"/> is added to the variance.</summary>
    public LayerNorm(int features, double eps = 1e-12, DType dtype = DType.Float32)
    {
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones([features], dtype));
        Bias = RegisterParameter("bias", Tensor.Zeros([features], dtype));
    }

    /// <summary>ε added to the (biased) variance before its square root.</summary>
    public double Eps { get; }
    /// <summary>The scale γ [features], a parameter named <c>weight</c>.</summary>
    public Tensor Weight { get; }
    /// <summary>The shift β [features], a parameter named <c>bias</c>.</summary>
    public Tensor Bias { get; }

    /// <summary>(x − mean)/√(var + ε)·γ + β over the last axis of <paramref name="x"/>, whose size must be features; same shape out.</summary>
    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);
}
