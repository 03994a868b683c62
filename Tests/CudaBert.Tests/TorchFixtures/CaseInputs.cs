using CudaBert.Engine;
using CudaBert.Engine.IO;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// The inputs of a <see cref="FixtureCase"/> as engine tensors, created on first use inside the
/// caller's scope: floating inputs in the case's dtype (requiring a gradient when PyTorch
/// differentiated with respect to them), index inputs as Int64.
/// </summary>
internal sealed class CaseInputs(FixtureCase fixtureCase)
{
    private readonly Dictionary<string, Tensor> created = new(StringComparer.Ordinal);

    public FixtureCase Case { get; } = fixtureCase;

    public DType DType => Case.IsFloat64 ? DType.Float64 : DType.Float32;

    /// <summary>The input tensor named <paramref name="name"/> in the fixture.</summary>
    public Tensor this[string name]
    {
        get
        {
            if (created.TryGetValue(name, out var tensor)) return tensor;
            Shape shape = new(Case.Shape(name));
            tensor = Case.StoredDType(name) switch
            {
                SafetensorsDType.I64 => Tensor.FromArray(Case.Indices(name), shape),
                _ when Case.IsFloat64 => Tensor.FromArray(Case.Values(name), shape, requiresGrad: Case.Wrt.Contains(name)),
                _ => Tensor.FromArray(Case.Float32Values(name), shape, requiresGrad: Case.Wrt.Contains(name)),
            };
            created.Add(name, tensor);
            return tensor;
        }
    }
}
