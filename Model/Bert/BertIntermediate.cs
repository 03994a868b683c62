using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>The first half of BERT's feed-forward block: GELU(dense(x)), hidden → intermediate (Hugging Face <c>intermediate.dense</c>).</summary>
public sealed class BertIntermediate : Module
{
    public BertIntermediate(BertConfig config, Generator generator, DType dtype)
    {
        // The engine has the exact erf GELU only; the tanh approximations would silently differ.
        if (config.HiddenAct != "gelu")
            throw new NotSupportedException($"hidden_act '{config.HiddenAct}': only \"gelu\" (the exact erf form) is implemented");
        Dense = RegisterModule("dense", new Linear(config.HiddenSize, config.IntermediateSize, generator, dtype: dtype));
    }

    public Linear Dense { get; }

    public Tensor Forward(Tensor x) => Ops.Gelu(Dense.Forward(x));
}
