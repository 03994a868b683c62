using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>The stack of layers, named <c>layer.0</c> … <c>layer.{N−1}</c> as in Hugging Face.</summary>
public sealed class BertEncoder : Module
{
    /// <summary><see cref="BertConfig.NumHiddenLayers"/> freshly initialised layers.</summary>
    /// <param name="config">Sizes, dropout rates and LayerNorm epsilon.</param>
    /// <param name="generator">Draws the initial weights (<see cref="BertInit"/>), in registration order.</param>
    /// <param name="dropoutSeeds">Hands each dropout layer its own seed.</param>
    /// <param name="dtype">Element type of the parameters.</param>
    public BertEncoder(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        var layers = new BertLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new BertLayer(config, generator, dropoutSeeds, dtype);
        Layers = RegisterModule("layer", new ModuleList<BertLayer>(layers));
    }

    /// <summary>The layers, applied in order (parameter names <c>layer.N.…</c>).</summary>
    public ModuleList<BertLayer> Layers { get; }

    /// <summary>
    /// Whether each layer runs as one <see cref="Ops.Checkpoint"/> (gradient checkpointing): a training step then
    /// keeps only each layer's input instead of everything its backward rules save, and runs each layer's forward
    /// a second time during the backward pass. The same numbers either way, bit for bit on the CPU. Off by default;
    /// it changes nothing where nothing is recorded (inference, a frozen layer on a frozen input).
    /// </summary>
    public bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Runs <paramref name="x"/> [B, S, hidden] through every layer; the result has the same shape.
    /// <paramref name="additiveMask"/>: [B, S], 0 for tokens and a large negative number for padding, or null.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        foreach (var layer in Layers)
            x = GradientCheckpointing ? Ops.Checkpoint(layer, inputs => layer.Forward(inputs[0], additiveMask), x) : layer.Forward(x, additiveMask);
        return x;
    }
}
