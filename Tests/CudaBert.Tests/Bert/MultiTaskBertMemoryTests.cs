using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Engine.Optim;
using CudaBert.Tests.Engine;

namespace CudaBert.Tests.Bert;

/// <summary>A training step of the multi-task model releases everything it creates: live tensors and bytes stay flat.</summary>
[Collection(MemoryCollection.Name)]
public class MultiTaskBertMemoryTests
{
    [Fact]
    public void RepeatedTrainingStepsKeepLiveTensorsAndBytesFlat()
    {
        using var fixture = new MultiTaskBertFixture();
        using var model = fixture.CreateModel(out _);
        model.Train();   // dropout on: its masks must not leak either
        using var optimizer = new AdamW(model.Parameters(), learningRate: 1e-3);
        var counts = new List<(long Tensors, long Bytes)>();
        for (int step = 0; step < 4; step++)
        {
            using (Tensor.Scope())
            {
                optimizer.ZeroGrad();
                MultiTaskBertVsTorchTests.Loss(fixture, model, MultiTaskBertVsTorchTests.Forward(fixture, model)).Total.Backward();
                optimizer.Step();
            }
            counts.Add((MemoryStats.LiveTensors, MemoryStats.LiveBytes));
        }
        // Step 1 creates the optimizer's moments; from then on every step ends where the previous one did.
        Assert.Equal(counts[1], counts[2]);
        Assert.Equal(counts[1], counts[3]);
    }
}
