using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>y = x·Wᵀ + b with weight [out, in] as PyTorch stores it.</summary>
public sealed class Linear : Module
{
    /// <summary>
    /// Draws the weight, then the bias, from <paramref name="generator"/> through <paramref name="init"/>
    /// (null: <see cref="DefaultInit"/>, PyTorch's U(−1/√in, 1/√in)).
    /// </summary>
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true, DType dtype = DType.Float32, IInitializer? init = null)
    {
        init ??= DefaultInit.Instance;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", init.LinearWeight(inFeatures, outFeatures, generator, dtype));
        if (bias) Bias = RegisterParameter("bias", init.LinearBias(inFeatures, outFeatures, generator, dtype));
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public Tensor Forward(Tensor x) => Ops.Linear(x, Weight, Bias);
}
