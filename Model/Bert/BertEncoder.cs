using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>The stack of layers, named <c>layer.0</c> … <c>layer.{N−1}</c> as in Hugging Face.</summary>
public sealed class BertEncoder : Module
{
    public BertEncoder(BertConfig config, Generator generator, DropoutSeeds dropoutSeeds, DType dtype)
    {
        var layers = new BertLayer[config.NumHiddenLayers];
        for (int i = 0; i < layers.Length; i++) layers[i] = new BertLayer(config, generator, dropoutSeeds, dtype);
        Layers = RegisterModule("layer", new ModuleList<BertLayer>(layers));
    }

    public ModuleList<BertLayer> Layers { get; }

    public Tensor Forward(Tensor x, Tensor? additiveMask)
    {
        foreach (var layer in Layers) x = layer.Forward(x, additiveMask);
        return x;
    }
}
