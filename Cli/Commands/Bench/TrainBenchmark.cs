using System.Diagnostics;
using CudaBert.Engine;
using CudaBert.Engine.Cuda;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;

namespace CudaBert.Cli.Commands.Bench;

/// <summary>
/// <c>cudabert bench train</c>: the training step of the product model, <see cref="MultiTaskBert"/> (BERT-base
/// configuration by default, random init), on the CUDA backend — forward, both cross-entropies (sentence and
/// token, ignored labels on padding), backward, gradient clipping at norm 1, AdamW over the trainer's parameter
/// groups (<see cref="TrainingParameterGroups"/>: no decay on biases and LayerNorm), zero_grad — with random
/// data. tools/torch-bench/bert_multitask_step.py runs the same step in PyTorch. Each step is timed on the wall clock between two
/// device synchronizations (so host work and GPU idle gaps count, as for PyTorch's eager mode);
/// the median of the timed steps is reported, after warm-up steps that fill the allocator's cache.
/// </summary>
static class TrainBenchmark
{
    public sealed record Result(double StepMilliseconds, double SequencesPerSecond, long PeakBytesInUse, long BytesHeld, long DeviceAllocationsWhileTimed);

    /// <summary>Sentence labels of the benchmark's heads (SNIPS has 7 intents).</summary>
    public const int SentenceClasses = 7;
    /// <summary>Token labels of the benchmark's heads (SNIPS has 72 slot tags).</summary>
    public const int TokenClasses = 72;

    /// <summary>
    /// Times <paramref name="steps"/> training steps of a randomly initialised <see cref="MultiTaskBert"/> with
    /// <paramref name="config"/> (null: BERT-base) on <paramref name="backend"/>, after <paramref name="warmup"/> untimed ones.
    /// </summary>
    public static Result Run(CudaBackend backend, int batch, int seq, int warmup, int steps, TextWriter log, BertConfig? config = null)
    {
        config ??= new BertConfig();
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        using var model = new MultiTaskBert(config, SentenceClasses, TokenClasses, seed: 7);
        model.To(Device.Cuda);
        log.WriteLine($"model: {model.ParameterCount():N0} parameters, initialised and moved to the GPU in {clock.Elapsed.TotalSeconds:F1} s");
        // Every rate spelled out, as tools/torch-bench/bert_multitask_step.py spells them: a change of the recipe's
        // defaults must not silently make the two sides train differently.
        var options = new TrainingOptions { LearningRate = 5e-5, SentenceHeadLearningRate = 1e-3, TokenHeadLearningRate = 1e-3, WeightDecay = 0.01 };
        using var optimizer = new AdamW(TrainingParameterGroups.Build(model, options));

        using var inputs = Tensor.Scope();
        int[] lengths = Enumerable.Range(0, batch).Select(_ => random.Next(seq / 2, seq + 1)).ToArray();
        var ids = Tensor.FromArray(Enumerable.Range(0, batch * seq).Select(_ => random.Next(config.VocabSize)).ToArray(), [batch, seq], Device.Cuda);
        float[] keep = Enumerable.Range(0, batch * seq).Select(i => i % seq < lengths[i / seq] ? 1f : 0f).ToArray();
        var padding = Tensor.FromArray(keep, [batch, seq], device: Device.Cuda);
        var sentenceLabels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => random.Next(SentenceClasses)).ToArray(), [batch], Device.Cuda);
        var tokenLabels = Tensor.FromArray(keep.Select(k => k == 1 ? random.Next(TokenClasses) : MultiTaskBert.IgnoreIndex).ToArray(), [batch, seq], Device.Cuda);
        var parameters = model.Parameters().ToList();

        Tensor ForwardAndLoss() => model.Loss(model.Forward(ids, padding), sentenceLabels, tokenLabels).Total;

        void Step()
        {
            using var scope = Tensor.Scope();
            ForwardAndLoss().Backward();
            GradientClipping.ClipGradNorm(parameters, maxNorm: 1.0);
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
            GradientClipping.ClipGradNorm(parameters, maxNorm: 1.0);
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
