namespace CudaBert.Engine.Nn;

/// <summary>Layer normalisation over the last axis; weight = 1, bias = 0 at init; BERT uses eps 1e-12.</summary>
public sealed class LayerNorm : Module
{
    public LayerNorm(int features, double eps = 1e-12, DType dtype = DType.Float32)
    {
        Eps = eps;
        Weight = RegisterParameter("weight", Tensor.Ones([features], dtype));
        Bias = RegisterParameter("bias", Tensor.Zeros([features], dtype));
    }

    public double Eps { get; }
    public Tensor Weight { get; }
    public Tensor Bias { get; }

    public Tensor Forward(Tensor x) => Ops.LayerNorm(x, Weight, Bias, Eps);
}
