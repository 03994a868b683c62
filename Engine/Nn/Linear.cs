using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>y = x·Wᵀ + b with weight [out, in] as PyTorch stores it; BERT init: W ~ N(0, 0.02²), b = 0.</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true, DType dtype = DType.Float32)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Normal([outFeatures, inFeatures], generator, 0, BertInit.Std, dtype));
        if (bias) Bias = RegisterParameter("bias", Tensor.Zeros([outFeatures], dtype));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);
}
