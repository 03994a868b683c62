using CudaBert.Engine.Random;

namespace CudaBert.Engine.Nn;

/// <summary>
/// PyTorch's default initialisation (<c>reset_parameters</c> of <c>nn.Linear</c> and <c>nn.Embedding</c>):
/// <list type="bullet">
/// <item>Linear weight and bias ~ U(−1/√in, 1/√in). For the weight this is Kaiming-uniform with
/// a = √5: bound = gain·√(3/in) with gain = √(2/(1 + a²)) = √(1/3), so bound = 1/√in; the bias uses
/// the same bound, so an output starts with a variance that does not grow with the input width;</item>
/// <item>Embedding table ~ N(0, 1).</item>
/// </list>
/// </summary>
public sealed class DefaultInit : IInitializer
{
    /// <summary>The one instance (the initialiser holds no state).</summary>
    public static DefaultInit Instance { get; } = new();

    /// <inheritdoc/>
    public Tensor LinearWeight(int inFeatures, int outFeatures, Generator generator, DType dtype) =>
        Tensor.Uniform([outFeatures, inFeatures], generator, -Bound(inFeatures), Bound(inFeatures), dtype);

    /// <inheritdoc/>
    public Tensor LinearBias(int inFeatures, int outFeatures, Generator generator, DType dtype) =>
        Tensor.Uniform([outFeatures], generator, -Bound(inFeatures), Bound(inFeatures), dtype);

    /// <inheritdoc/>
    public Tensor EmbeddingWeight(int count, int dim, Generator generator, DType dtype) =>
        Tensor.Normal([count, dim], generator, 0, 1, dtype);

    /// <summary>1/√in; a layer without inputs gets bound 0 (PyTorch's choice too).</summary>
    static double Bound(int inFeatures) => inFeatures > 0 ? 1 / Math.Sqrt(inFeatures) : 0;
}
