using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Random;

namespace CudaBert.Model.Bert;

/// <summary>
/// BERT's initialisation (Hugging Face <c>BertPreTrainedModel._init_weights</c>, initializer_range
/// 0.02): Linear and Embedding weights ~ N(0, 0.02²), Linear biases zero (they draw nothing from
/// the generator). LayerNorm's weight one and bias zero are <see cref="LayerNorm"/>'s own.
/// Every BERT module passes it to the engine's generic modules.
/// </summary>
public sealed class BertInit : IInitializer
{
    /// <summary>Standard deviation of the normal initialisation of linear and embedding weights.</summary>
    public const double Std = 0.02;

    /// <summary>The one instance (the initialiser holds no state).</summary>
    public static BertInit Instance { get; } = new();

    /// <inheritdoc/>
    /// <remarks>[outFeatures, inFeatures] ~ N(0, <see cref="Std"/>²).</remarks>
    public Tensor LinearWeight(int inFeatures, int outFeatures, Generator generator, DType dtype) =>
        Tensor.Normal([outFeatures, inFeatures], generator, 0, Std, dtype);

    /// <inheritdoc/>
    /// <remarks>Zeros of [outFeatures]; draws nothing from <paramref name="generator"/>.</remarks>
    public Tensor LinearBias(int inFeatures, int outFeatures, Generator generator, DType dtype) =>
        Tensor.Zeros([outFeatures], dtype);

    /// <inheritdoc/>
    /// <remarks>[count, dim] ~ N(0, <see cref="Std"/>²).</remarks>
    public Tensor EmbeddingWeight(int count, int dim, Generator generator, DType dtype) =>
        Tensor.Normal([count, dim], generator, 0, Std, dtype);
}
