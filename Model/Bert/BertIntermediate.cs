using CudaBert.Engine;
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

    public BertIntermediate(BertConfig config, Generator generator, DType dtype)
    {
        activation = ActivationOf(config.HiddenAct);
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.IntermediateSize, generator, dtype: dtype, init: BertInit.Instance));
    }

    public Linear Dense { get; }

    public Tensor Forward(Tensor x) => activation(Dense.Forward(x));

    private static Func<Tensor, Tensor> ActivationOf(string hiddenAct) => hiddenAct switch
    {
        "gelu" => Ops.Gelu,
        "gelu_new" or "gelu_pytorch_tanh" => Ops.GeluTanh,
        _ => throw new NotSupportedException(
            $"hidden_act '{hiddenAct}' is not implemented (supported: {string.Join(", ", BertConfig.SupportedActivations)})"),
    };
}
