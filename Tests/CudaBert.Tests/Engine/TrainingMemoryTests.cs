using CudaBert.Engine;
using CudaBert.Engine.Memory;
using CudaBert.Tests.Engine.Demo;

namespace CudaBert.Tests.Engine;

[Collection(MemoryCollection.Name)]
public class TrainingMemoryTests
{
    [Fact]
    public void ThousandTrainingStepsLeaveLiveTensorsAndBytesFlat()
    {
        long tensorsBefore = MemoryStats.LiveTensors, bytesBefore = MemoryStats.LiveBytes;
        using (var demo = new TwoTaskDemo(totalSteps: 1000, batchSize: 2))
        {
            // After the first steps every parameter has its gradient and its two AdamW moments.
            for (int i = 0; i < 3; i++) demo.TrainStep();
            long tensors = MemoryStats.LiveTensors, bytes = MemoryStats.LiveBytes, cached = CpuMemoryPool.CachedBytes;
            int parameters = demo.Model.Parameters().Count();
            Assert.Equal(tensorsBefore + 4 * parameters, tensors); // parameter, gradient, m, v
            for (int i = 3; i < 1000; i++)
            {
                var step = demo.TrainStep();
                Assert.True(double.IsFinite(step.Total), $"step {step.Step}: loss {step.Total}");
                if (i % 100 == 0)
                {
                    Assert.Equal(tensors, MemoryStats.LiveTensors);
                    Assert.Equal(bytes, MemoryStats.LiveBytes);
                }
            }
            Assert.Equal(tensors, MemoryStats.LiveTensors);
            Assert.Equal(bytes, MemoryStats.LiveBytes);
            // Steady state is served from the pool's free lists: it did not grow.
            Assert.Equal(cached, CpuMemoryPool.CachedBytes);
        }
        // Disposing the model and optimizer releases everything they held.
        Assert.Equal(tensorsBefore, MemoryStats.LiveTensors);
        Assert.Equal(bytesBefore, MemoryStats.LiveBytes);
    }
}
