using System.Diagnostics;
using CudaBert.Engine;
using CudaBert.Engine.Cuda;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// <c>cudabert bench train</c>: the multi-task training step of <see cref="BenchmarkBert"/> on the
/// CUDA backend — forward, both cross-entropies (sentence and token, ignored labels on padding),
/// backward, AdamW, zero_grad — with random data. Each step is timed on the wall clock between two
/// device synchronizations (so host work and GPU idle gaps count, as for PyTorch's eager mode);
/// the median of the timed steps is reported, after warm-up steps that fill the allocator's cache.
/// </summary>
static class TrainBenchmark
{
    public sealed record Result(double StepMilliseconds, double SequencesPerSecond, long PeakBytesInUse, long BytesHeld, long DeviceAllocationsWhileTimed);

    public static Result Run(CudaBackend backend, int batch, int seq, int warmup, int steps, TextWriter log)
    {
        var config = new BenchmarkBert.Config();
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        using var model = new BenchmarkBert(config, seed: 7);
        model.To(Device.Cuda);
        log.WriteLine($"model: {model.ParameterCount():N0} parameters, initialised and moved to the GPU in {clock.Elapsed.TotalSeconds:F1} s");
        using var optimizer = new AdamW(model.Parameters(), learningRate: 5e-5, weightDecay: 0.01);

        using var inputs = Tensor.Scope();
        int[] lengths = Enumerable.Range(0, batch).Select(_ => random.Next(seq / 2, seq + 1)).ToArray();
        var ids = Tensor.FromArray(Enumerable.Range(0, batch * seq).Select(_ => random.Next(config.Vocab)).ToArray(), [batch, seq], Device.Cuda);
        var positions = Tensor.FromArray(Enumerable.Range(0, batch * seq).Select(i => i % seq).ToArray(), [batch, seq], Device.Cuda);
        var types = Tensor.Zeros([batch, seq], DType.Int32, Device.Cuda);
        float[] keep = Enumerable.Range(0, batch * seq).Select(i => i % seq < lengths[i / seq] ? 1f : 0f).ToArray();
        var padding = Tensor.FromArray(keep, [batch, seq], device: Device.Cuda);
        var additive = Tensor.FromArray(keep.Select(k => k == 1 ? 0f : float.MinValue).ToArray(), [batch, seq], device: Device.Cuda);
        var sentenceLabels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => random.Next(config.SentenceClasses)).ToArray(), [batch], Device.Cuda);
        var tokenLabels = Tensor.FromArray(keep.Select(k => k == 1 ? random.Next(config.TokenClasses) : -100).ToArray(), [batch, seq], Device.Cuda);

        Tensor ForwardAndLoss()
        {
            var (sentence, tokens) = model.Forward(ids, positions, types, padding, additive);
            return Ops.Add(Ops.CrossEntropy(sentence, sentenceLabels), Ops.CrossEntropy(tokens, tokenLabels));
        }

        void Step()
        {
            using var scope = Tensor.Scope();
            ForwardAndLoss().Backward();
            optimizer.Step();
            optimizer.ZeroGrad();
        }

        backend.Allocator.ResetPeak();
        for (int i = 0; i < warmup; i++) Step();
        backend.Gpu.Synchronize();
        long allocationsBefore = backend.Allocator.Statistics.DeviceAllocations;
        var times = new double[steps];
        for (int i = 0; i < steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Step();
            backend.Gpu.Synchronize();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        double median = EventTimer.Median(times);
        var stats = backend.Allocator.Statistics;

        // One more step, untimed, with the peak measured per phase: what the forward keeps for the
        // backward, what the backward adds on top, what the optimizer step adds.
        long MiB(long bytes) => bytes >> 20;
        long atStart = backend.Allocator.Statistics.BytesInUse;
        long forwardPeak, backwardPeak, optimizerPeak;
        using (Tensor.Scope())
        {
            backend.Allocator.ResetPeak();
            var loss = ForwardAndLoss();
            forwardPeak = backend.Allocator.Statistics.PeakBytesInUse;
            backend.Allocator.ResetPeak();
            loss.Backward();
            backwardPeak = backend.Allocator.Statistics.PeakBytesInUse;
            backend.Allocator.ResetPeak();
            optimizer.Step();
            optimizerPeak = backend.Allocator.Statistics.PeakBytesInUse;
            optimizer.ZeroGrad();
        }
        log.WriteLine($"memory in use: {MiB(atStart):N0} MiB between steps (parameters, AdamW moments); peaks: forward + loss " +
                      $"{MiB(forwardPeak):N0} MiB, backward {MiB(backwardPeak):N0} MiB, optimizer step {MiB(optimizerPeak):N0} MiB");
        return new Result(median, batch / (median / 1000), stats.PeakBytesInUse, stats.BytesInUse + stats.BytesCached,
            stats.DeviceAllocations - allocationsBefore);
    }
}
