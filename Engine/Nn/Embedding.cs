using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>A lookup table [count, dim] indexed by integer ids.</summary>
public sealed class Embedding : Module
{
    /// <summary>
    /// Draws the table from <paramref name="generator"/> through <paramref name="init"/>
    /// (null: <see cref="DefaultInit"/>, PyTorch's N(0, 1)).
    /// </summary>
    public Embedding(int count, int dim, Generator generator, DType dtype = DType.Float32, IInitializer? init = null)
    {
        Weight = RegisterParameter("weight", (init ?? DefaultInit.Instance).EmbeddingWeight(count, dim, generator, dtype));
    }

    /// <summary>The table [count, dim], a parameter named <c>weight</c>: row i is the vector of id i.</summary>
    public Tensor Weight { get; }

    /// <summary>
    /// The rows of <see cref="Weight"/> for <paramref name="ids"/> (int32 or int64, any shape): shape
    /// ids.Shape + [dim]. An id outside [0, count) throws.
    /// </summary>
    public Tensor Forward(Tensor ids) => Ops.Embedding(ids, Weight);
}
