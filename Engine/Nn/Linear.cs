using CudaBert.Engine.Backends;
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

    /// <summary>Size of the input's last axis.</summary>
    public int InFeatures { get; }
    /// <summary>Size of the output's last axis.</summary>
    public int OutFeatures { get; }
    /// <summary>The weight W [OutFeatures, InFeatures], a parameter named <c>weight</c>.</summary>
    public Tensor Weight { get; }
    /// <summary>The bias b [OutFeatures], a parameter named <c>bias</c>; null when built without one.</summary>
    public Tensor? Bias { get; }

    /// <summary>
    /// x·Wᵀ + b for <paramref name="x"/> [..., InFeatures]; the result is [..., OutFeatures]. Inside a
    /// <see cref="MatmulPrecision.Bf16"/> scope (<see cref="MatmulPrecisionMode"/>) the products take bfloat16
    /// operands (<see cref="Ops.LinearBFloat16"/>), otherwise float32 (<see cref="Ops.Linear"/>).
    /// </summary>
    public Tensor Forward(Tensor x) => MatmulPrecisionMode.IsBFloat16 ? Ops.LinearBFloat16(x, Weight, Bias) : Ops.Linear(x, Weight, Bias);
}
