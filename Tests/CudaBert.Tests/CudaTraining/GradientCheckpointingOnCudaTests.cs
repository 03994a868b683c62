using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;
using CudaBert.Tests.Training;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// Gradient checkpointing on the test device, through the trainer: the recomputed layers run the same kernels
/// on the same data, fused attention's dropout included, so a checkpointed run captured into CUDA graphs and
/// replayed gives the losses, norms, parameters and dropout offsets of a plain eager run, bit for bit.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class GradientCheckpointingOnCudaTests(CudaTestDevice device)
{
    /// <summary>
    /// Six examples in one batch for three epochs — step 1 eager (it makes AdamW's moments), step 2 captured, step 3
    /// replayed — two layers with heads of 32 (fused attention on CUDA), dropout on.
    /// </summary>
    static TinyTrainingSetup Setup() => new(trainCount: 6, dropout: 0.1, taggedFraction: 2.0 / 3, devCount: 3, hidden: 64, layers: 2, heads: 2, intermediate: 24, maxLength: 16);

    sealed record Outcome(List<StepRecord> History, Dictionary<string, float[]> Parameters, ulong[] Offsets, (int Captures, int Replays) Graphs);

    static Outcome Train(TinyTrainingSetup setup, bool checkpointing, string graphs)
    {
        using var model = setup.NewModel();
        var options = setup.Options() with
        {
            Device = "cuda", Epochs = 3, BatchSize = 6, WarmupRatio = 0.2, CudaGraphs = graphs, GradientCheckpointing = checkpointing,
        };
        using var trainer = setup.Trainer(model, options);
        var history = trainer.Run().History.ToList();
        Assert.Equal(checkpointing, model.GradientCheckpointing);
        return new(history, TinyTrainingSetup.Snapshot(model), [.. Checkpoint.Dropouts(model).Select(d => d.Dropout.Offset)],
            (trainer.CudaGraphs?.Captures ?? 0, trainer.CudaGraphs?.Replays ?? 0));
    }

    // fp32 only: bf16's recomputation under the first forward's precision is checked on the CPU (GradientCheckpointingTests).
    [Fact]
    public void ACheckpointedRunInCudaGraphsGivesThePlainEagerRunsBits()
    {
        var setup = Setup();
        try
        {
            var plain = Train(setup, checkpointing: false, CudaGraphSteps.Off);
            var checkpointed = Train(setup, checkpointing: true, CudaGraphSteps.On);

            Assert.Equal((1, 1), checkpointed.Graphs);
            Assert.Equal(plain.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm)),
                checkpointed.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm)));
            foreach (var (name, want) in plain.Parameters)
                Assert.True(want.AsSpan().SequenceEqual(checkpointed.Parameters[name]), $"{name} differs after checkpointed steps");
            Assert.Equal(plain.Offsets, checkpointed.Offsets);
            device.AssertNoSanitizerFindings();
        }
        finally { setup.Dispose(); }
    }
}
