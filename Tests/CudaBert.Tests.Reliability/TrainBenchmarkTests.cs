using CudaBert.Cli.Commands.Bench;
using CudaBert.Engine.Cuda;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Model;

namespace CudaBert.Tests.Reliability;

/// <summary>
/// <c>cudabert bench train</c> only runs where a GPU is: here its step runs on the software GPU (with the
/// sanitizer: a race or out-of-bounds access fails the launch) on a tiny <see cref="BertConfig"/>, so a
/// broken benchmark is found before a GPU machine's time is spent on it.
/// </summary>
[Collection(nameof(ConsoleCollection))]   // the process-wide CUDA backend: alone
public sealed class TrainBenchmarkTests
{
    [Fact]
    public void TheProductModelsStepRunsAndReusesTheAllocatorsMemoryOnceWarm()
    {
        var tiny = new BertConfig
        {
            VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 16,
        };
        using var gpu = new KernelTimingDevice(new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true }));
        var backend = CudaBackend.Use(gpu);
        var log = new StringWriter();
        try
        {
            var result = TrainBenchmark.Run(backend, batch: 2, seq: 8, warmup: 3, steps: 1, log, tiny);
            Assert.True(double.IsFinite(result.StepMilliseconds) && result.StepMilliseconds > 0, $"step time {result.StepMilliseconds} ms");
            Assert.Equal(0, result.DeviceAllocationsWhileTimed);   // the command's 3 warm-up steps fill the cache (1 does not): timed steps allocate nothing new
            Assert.True(result.PeakBytesInUse > 0);
            Assert.Contains("parameters", log.ToString());
            // As the trainer: the first warm-up step eager (it makes AdamW's moments), the second captured, the rest replayed.
            Assert.Equal("CUDA graphs (1 capture, 2 replays)", result.Mode);
            // The kernels of one eager step, timed one by one through the wrapping device.
            Assert.True(result.KernelMilliseconds is > 0, $"kernel time {result.KernelMilliseconds}");
        }
        finally
        {
            backend.Allocator.EmptyCache();
        }
    }

    [Fact]
    public void TheCheckpointedStepIsCapturedAndReplayedToo()
    {
        var tiny = new BertConfig
        {
            VocabSize = 50, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 16,
        };
        using var gpu = new KernelTimingDevice(new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true }));
        var backend = CudaBackend.Use(gpu);
        try
        {
            var result = TrainBenchmark.Run(backend, batch: 2, seq: 8, warmup: 3, steps: 1, new StringWriter(), tiny, gradientCheckpointing: true);
            // The recomputation inside the backward pass is captured with the rest of the step: no eager fallback.
            Assert.Equal("CUDA graphs (1 capture, 2 replays)", result.Mode);
            Assert.Equal(0, result.DeviceAllocationsWhileTimed);
        }
        finally
        {
            backend.Allocator.EmptyCache();
        }
    }
}
