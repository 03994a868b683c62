using CudaBert.Engine;
using CudaBert.Engine.Memory;

namespace CudaBert.Tests.Engine;

/// <summary>A forward intermediate whose values are released stays in the graph: gradients still flow through it.</summary>
[Collection(MemoryCollection.Name)]
public class ReleaseValuesTests
{
    [Fact]
    public void ReleasedIntermediateFreesItsBytesAndStillCarriesGradients()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, -2f, 3f, 4f], [2, 2], requiresGrad: true);
        var doubled = Ops.Scale(x, 2);                    // scale's backward reads no values
        var y = Ops.Permute(doubled, 1, 0);                // a copy; permute's backward reads no values either
        long bytes = MemoryStats.LiveBytes;
        doubled.ReleaseValues();
        Assert.Equal(bytes - doubled.ByteLength, MemoryStats.LiveBytes);
        Assert.True(doubled.ValuesReleased);
        Assert.Throws<ObjectDisposedException>(() => doubled.ToFloatArray());

        Ops.Sum(Ops.Mul(y, y)).Backward();                 // d/dx Σ (2x)² = 8x
        Assert.Equal([8f, -16f, 24f, 32f], x.Grad!.ToFloatArray());
        long afterBackward = MemoryStats.LiveBytes;
        doubled.ReleaseValues();                           // idempotent: the bytes are not given back twice
        doubled.Dispose();
        Assert.Equal(afterBackward, MemoryStats.LiveBytes);
    }

    [Fact]
    public void ReleasingATensorABackwardRuleReadsFailsInBackward()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f], [2], requiresGrad: true);
        var h = Ops.Scale(x, 3);
        var y = Ops.Mul(h, h);                              // multiplication saves both factors
        h.ReleaseValues();
        var e = Assert.Throws<ObjectDisposedException>(() => Ops.Sum(y).Backward());
        Assert.Contains("released", e.Message);
    }

    [Fact]
    public void AViewKeepsTheStorageAfterItsBaseIsReleased()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.FromArray([1f, 2f, 3f, 4f], [4]);
        var view = Ops.Reshape(x, 2, 2);
        long bytes = MemoryStats.LiveBytes;
        x.ReleaseValues();
        Assert.Equal(bytes, MemoryStats.LiveBytes);
        Assert.Equal([1f, 2f, 3f, 4f], view.ToFloatArray());
        view.Dispose();
        Assert.Equal(bytes - x.ByteLength, MemoryStats.LiveBytes);
    }
}
