using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

/// <summary>
/// What the backward pass holds at its peak beyond the forward's tensors and the weights' gradients:
/// a frontier of gradients and one node's temporaries, whatever the depth of the graph. (When every
/// gradient and temporary lived until the pass ended, the peak of a 16-layer chain was about 4×
/// that of a 4-layer one beyond what both must hold.)
/// </summary>
[Collection(MemoryCollection.Name)]
public class BackwardMemoryTests
{
    const int Rows = 64, Width = 128;

    /// <summary>Bytes the backward pass of an L-layer chain h ← GELU(h·Wᵢᵀ) held at its peak, beyond the forward's live bytes and the weight gradients.</summary>
    static long BackwardExcess(int layers)
    {
        var generator = new Generator(5);
        using var scope = Tensor.Scope();
        var weights = Enumerable.Range(0, layers).Select(_ => Tensor.Normal([Width, Width], generator, std: 0.1)).ToArray();
        foreach (var w in weights) w.RequiresGrad = true;
        var h = Tensor.Normal([Rows, Width], generator);
        foreach (var w in weights) h = Ops.Gelu(Ops.MatMul(h, w, transposeB: true));
        var loss = Ops.Sum(h);
        long afterForward = MemoryStats.LiveBytes;
        MemoryStats.ResetPeak();
        loss.Backward();
        long weightGradients = (long)layers * Width * Width * sizeof(float);
        Assert.All(weights, w => Assert.NotNull(w.Grad));
        long excess = MemoryStats.PeakLiveBytes - afterForward - weightGradients;
        foreach (var w in weights) { w.Grad!.Dispose(); w.Grad = null; }
        return excess;
    }

    [Fact]
    public void TheBackwardPeakBeyondSavedTensorsDoesNotGrowWithDepth()
    {
        long shallow = BackwardExcess(4), deep = BackwardExcess(16);
        long activation = Rows * Width * sizeof(float), weight = Width * Width * sizeof(float);
        // One layer's worth of slack: a gradient, a temporary of each kind.
        Assert.True(deep <= shallow + activation + weight,
            $"backward held {deep:N0} bytes beyond the saved tensors for 16 layers and {shallow:N0} for 4: it grows with depth");
        Assert.True(shallow > 0, "the backward pass made no gradient at all");
    }
}
