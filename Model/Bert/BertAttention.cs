using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>Self-attention followed by its residual exit (Hugging Face <c>attention.self</c> and <c>attention.output</c>).</summary>
public sealed class BertAttention : Module
{
    public BertAttention(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Self = RegisterModule("self", new BertSelfAttention(config, generator, dropoutSeeds, dtype));
        Output = RegisterModule("output", new BertResidualOutput(config.HiddenSize, config, generator, dropoutSeeds, dtype));
    }

    public BertSelfAttention Self { get; }
    public BertResidualOutput Output { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask) => Output.Forward(Self.Forward(x, additiveMask), x);
}
