using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>
/// How a module fills its parameters when it is built. The generic modules (<see cref="Linear"/>,
/// <see cref="Embedding"/>) ask for each tensor they own, in a fixed order (a Linear's weight, then
/// its bias), so a seeded generator reproduces a whole model. Without one they use
/// <see cref="DefaultInit"/> (PyTorch's defaults); a model passes its own, as BERT passes
/// <c>CudaBert.Model.Bert.BertInit</c>. <see cref="LayerNorm"/> takes none: its ones and zeros are
/// what every model here uses.
/// </summary>
public interface IInitializer
{
    /// <summary>The weight [<paramref name="outFeatures"/>, <paramref name="inFeatures"/>] of a <see cref="Linear"/>.</summary>
    Tensor LinearWeight(int inFeatures, int outFeatures, Generator generator, DType dtype);

    /// <summary>The bias [<paramref name="outFeatures"/>] of a <see cref="Linear"/>, made after its weight.</summary>
    Tensor LinearBias(int inFeatures, int outFeatures, Generator generator, DType dtype);

    /// <summary>The table [<paramref name="count"/>, <paramref name="dim"/>] of an <see cref="Embedding"/>.</summary>
    Tensor EmbeddingWeight(int count, int dim, Generator generator, DType dtype);
}
