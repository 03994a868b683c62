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
    /// <summary>A freshly initialised transformer layer.</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertLayer(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Attention = RegisterModule("attention", new BertAttention(config, generator, dropoutSeeds, dtype));
        Intermediate = RegisterModule("intermediate", new BertIntermediate(config, generator, dtype));
        Output = RegisterModule("output", new BertResidualOutput(config.IntermediateSize, config, generator, dropoutSeeds, dtype));
    }

    /// <summary>Self-attention and its residual exit (<c>attention</c>).</summary>
    public BertAttention Attention { get; }
    /// <summary>The feed-forward expansion with its activation (<c>intermediate</c>).</summary>
    public BertIntermediate Intermediate { get; }
    /// <summary>The feed-forward projection back to hidden size, dropout, residual and LayerNorm (<c>output</c>).</summary>
    public BertResidualOutput Output { get; }

    /// <summary>
    /// <paramref name="x"/> [B, S, hidden] → [B, S, hidden]. <paramref name="additiveMask"/>: [B, S], 0 for tokens
    /// and a large negative number for padding, or null.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        var h = Attention.Forward(x, additiveMask);
        return Output.ForwardProjected(Intermediate.ForwardThrough(Output.Dense, h), h);
    }
}
