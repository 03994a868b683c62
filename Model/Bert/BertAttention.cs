using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>Self-attention followed by its residual exit (Hugging Face <c>attention.self</c> and <c>attention.output</c>).</summary>
public sealed class BertAttention : Module
{
    /// <summary>A freshly initialised attention block of <see cref="BertConfig.HiddenSize"/> width.</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertAttention(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        Self = RegisterModule("self", new BertSelfAttention(config, generator, dropoutSeeds, dtype));
        Output = RegisterModule("output", new BertResidualOutput(config.HiddenSize, config, generator, dropoutSeeds, dtype));
    }

    /// <summary>The multi-head attention itself (<c>self</c>).</summary>
    public BertSelfAttention Self { get; }
    /// <summary>The projection back to hidden size, dropout, residual and LayerNorm (<c>output</c>).</summary>
    public BertResidualOutput Output { get; }

    /// <summary>
    /// <paramref name="x"/> [B, S, hidden] → [B, S, hidden]: LayerNorm(x + dropout(attention(x)·W_o)).
    /// <paramref name="additiveMask"/> is [B, S], 0 for tokens and a large negative number for padding, or null.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask) => Output.Forward(Self.Forward(x, additiveMask), x);
}
