using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// One post-LN transformer layer (Hugging Face <c>encoder.layer.N</c>):
/// h = LayerNorm(x + dropout(attention(x)·W_o)); out = LayerNorm(h + dropout(GELU(h·W_1)·W_2)).
/// </summary>
public sealed class BertLayer : Module
{
    public BertLayer(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Attention = RegisterModule("attention", new BertAttention(config, generator, dropoutSeeds, dtype));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(config, generator, dtype));
        Output = RegisterModule("output", new BertResidualOutput(config.IntermediateSize, config, generator, dropoutSeeds, dtype));
    }

    public BertAttention Attention { get; }
    public BertIntermediate Intermediate { get; }
    public BertResidualOutput Output { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        var h = Attention.Forward(x, additiveMask);
        return Output.Forward(Intermediate.Forward(h), h);
    }
}
