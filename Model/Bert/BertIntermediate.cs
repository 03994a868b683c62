using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// The first half of BERT's feed-forward block: act(dense(x)), hidden → intermediate (Hugging Face
/// <c>intermediate.dense</c>), with act chosen by the config's <c>hidden_act</c>: "gelu" is the exact
/// erf form (BERT's), "gelu_new" and "gelu_pytorch_tanh" are both the tanh approximation (Hugging
/// Face's two names for the same function).
/// </summary>
public sealed class BertIntermediate : Module
{
    private readonly Func<Tensor, Tensor> activation;
    private readonly bool exactGelu;

    /// <summary>A freshly initialised hidden → intermediate projection with the config's activation.</summary>
    /// <param name="config">Hidden and intermediate sizes and <see cref="BertConfig.HiddenAct"/>.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>).</param>
    /// <param name="dtype">Element type of the parameters.</param>
    /// <exception cref="NotSupportedException"><see cref="BertConfig.HiddenAct"/> is not one of <see cref="BertConfig.SupportedActivations"/>.</exception>
    public BertIntermediate(BertConfig config, Generator generator, DType dtype)
    {
        activation = ActivationOf(config.HiddenAct);
        exactGelu = config.HiddenAct == "gelu";
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.IntermediateSize, generator, dtype: dtype, init: BertInit.Instance));
    }

    /// <summary>The expansion hidden → <see cref="BertConfig.IntermediateSize"/> (usually 4 × hidden).</summary>
    public Linear Dense { get; }

    /// <summary>
    /// Whether the exact-GELU case runs as fused ops (<see cref="Ops.LinearGelu"/>, and with the next layer
    /// <see cref="Ops.LinearGeluLinear"/>) instead of Linear then Gelu; they give the same bits on the CPU. The tanh
    /// approximation is never fused. In bfloat16 (<see cref="MatmulPrecision.Bf16"/>) this layer alone is not fused
    /// (the Linear takes bfloat16 operands, then GELU), the block with the next layer is
    /// (<see cref="Ops.LinearGeluLinearBFloat16"/>).
    /// </summary>
    internal bool Fused { get; set; } = true;

    /// <summary><paramref name="x"/> [B, S, hidden] → act(x·W + b) [B, S, intermediate].</summary>
    public Tensor Forward(Tensor x) =>
        Fused && exactGelu && !MatmulPrecisionMode.IsBFloat16 && Dense.Bias is { } bias ? Ops.LinearGelu(x, Dense.Weight, bias) : activation(Dense.Forward(x));

    /// <summary>
    /// <paramref name="next"/>(act(x·W + b)): this layer and the feed-forward block's second linear layer (intermediate →
    /// hidden). With exact GELU fused and a bias on both, one op (<see cref="Ops.LinearGeluLinear"/>, or
    /// <see cref="Ops.LinearGeluLinearBFloat16"/> for <see cref="MatmulPrecision.Bf16"/>) whose backward multiplies the
    /// second layer's input gradient by GELU′ in the same GEMM; otherwise <paramref name="next"/>'s Forward on
    /// <see cref="Forward"/>.
    /// </summary>
    public Tensor ForwardThrough(Linear next, Tensor x)
    {
        if (!Fused || !exactGelu || Dense.Bias is not { } bias || next.Bias is not { } nextBias) return next.Forward(Forward(x));
        return MatmulPrecisionMode.IsBFloat16
            ? Ops.LinearGeluLinearBFloat16(x, Dense.Weight, bias, next.Weight, nextBias)
            : Ops.LinearGeluLinear(x, Dense.Weight, bias, next.Weight, nextBias);
    }

    private static Func<Tensor, Tensor> ActivationOf(string hiddenAct) => hiddenAct switch
    {
        "gelu" => Ops.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" => Ops.GeluTanh,
        _ => throw new NotSupportedException(
            $"hidden_act '{hiddenAct}' is not implemented (supported: {string.Join(", ", BertConfig.SupportedActivations)})"),
    };
}
