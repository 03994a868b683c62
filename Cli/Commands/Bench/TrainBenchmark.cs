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
/// data. With CUDA graphs (<see cref="CudaGraphSteps"/>, as the trainer) the first step runs eagerly, the second is
/// captured, and every later one is a replay; the gradient norm stays on the device in both modes. tools/torch-bench/bert_multitask_step.py runs the same step in PyTorch. Each step is timed on the wall clock between two
/// device synchronizations (so host work and GPU idle gaps count, as for PyTorch's eager mode);
/// the median of the timed steps is reported, after warm-up steps that fill the allocator's cache.
/// </summary>
static class TrainBenchmark
{
    /// <summary>What the benchmark measured.</summary>
    /// <param name="StepMilliseconds">The median step time, wall clock between two device synchronizations.</param>
    /// <param name="SequencesPerSecond">Batch size over the median step time.</param>
    /// <param name="PeakBytesInUse">The allocator's peak bytes in use over warm-up and timed steps.</param>
    /// <param name="BytesHeld">Bytes the allocator holds at the end, in use or cached.</param>
    /// <param name="DeviceAllocationsWhileTimed">cuMemAlloc calls during the timed steps (0 once the cache is warm).</param>
    /// <param name="Mode">How the steps ran: "CUDA graphs (N captures, M replays)" or "eager" with the reason.</param>
    /// <param name="KernelMilliseconds">
    /// The summed time of one eager step's kernels (null when the backend's device is not a <see cref="KernelTimingDevice"/>):
    /// 1 − this / <paramref name="StepMilliseconds"/> is the share of a step the GPU waits for the host.
    /// </param>
    public sealed record Result(double StepMilliseconds, double SequencesPerSecond, long PeakBytesInUse, long BytesHeld, long DeviceAllocationsWhileTimed, string Mode,
        double? KernelMilliseconds = null);

    /// <summary>Sentence labels of the benchmark's heads (SNIPS has 7 intents).</summary>
    public const int SentenceClasses = 7;
    /// <summary>Token labels of the benchmark's heads (SNIPS has 72 slot tags).</summary>
    public const int TokenClasses = 72;

    /// <summary>
    /// Times <paramref name="steps"/> training steps of a randomly initialised <see cref="MultiTaskBert"/> with
    /// <paramref name="config"/> (null: BERT-base) on <paramref name="backend"/>, after <paramref name="warmup"/> untimed ones;
    /// <paramref name="cudaGraphs"/> is <see cref="TrainingOptions.CudaGraphs"/>, <paramref name="gradientCheckpointing"/>
    /// <see cref="TrainingOptions.GradientCheckpointing"/>.
    /// </summary>
    public static Result Run(CudaBackend backend, int batch, int seq, int warmup, int steps, TextWriter log, BertConfig? config = null,
        string cudaGraphs = CudaGraphSteps.Auto, bool gradientCheckpointing = false)
    {
        config ??= new BertConfig();
        var random = new Random(7);
        var clock = Stopwatch.StartNew();
        using var model = new MultiTaskBert(config, SentenceClasses, TokenClasses, seed: 7) { GradientCheckpointing = gradientCheckpointing };
        model.To(Device.Cuda);
        log.WriteLine($"model: {model.ParameterCount():N0} parameters, initialised and moved to the GPU in {clock.Elapsed.TotalSeconds:F1} s");
        // Every rate spelled out, as tools/torch-bench/bert_multitask_step.py spells them: a change of the recipe's
        // defaults must not silently make the two sides train differently.
        var options = new TrainingOptions { LearningRate = 5e-5, SentenceHeadLearningRate = 1e-3, TokenHeadLearningRate = 1e-3, WeightDecay = 0.01, CudaGraphs = cudaGraphs,
            GradientCheckpointing = gradientCheckpointing };
        using var optimizer = new AdamW(TrainingParameterGroups.Build(model, options));
        using var graphs = CudaGraphSteps.Resolve(options, Device.Cuda, ranks: 1, model, optimizer, out string? eager);

        using var inputs = Tensor.Scope();
        int[] lengths = Enumerable.Range(0, batch).Select(_ => random.Next(seq / 2, seq + 1)).ToArray();
        var ids = Tensor.FromArray(Enumerable.Range(0, batch * seq).Select(_ => random.Next(config.VocabSize)).ToArray(), [batch, seq], Device.Cuda);
        float[] keep = Enumerable.Range(0, batch * seq).Select(i => i % seq < lengths[i / seq] ? 1f : 0f).ToArray();
        var padding = Tensor.FromArray(keep, [batch, seq], device: Device.Cuda);
        var sentenceLabels = Tensor.FromArray(Enumerable.Range(0, batch).Select(_ => random.Next(SentenceClasses)).ToArray(), [batch], Device.Cuda);
        var tokenLabels = Tensor.FromArray(keep.Select(k => k == 1 ? random.Next(TokenClasses) : MultiTaskBert.IgnoreIndex).ToArray(), [batch, seq], Device.Cuda);
        var tokenTypes = Tensor.Zeros([batch, seq], DType.Int32, Device.Cuda);
        var norm = Tensor.Empty([1], DType.Float64, Device.Cuda);
        var parameters = model.Parameters().ToList();
        var data = new TwoTaskBatch
        {
            Examples = [], Encodings = [], InputIds = ids, TokenTypeIds = tokenTypes, AttentionMask = padding,
            SentenceLabels = sentenceLabels, TokenLabels = tokenLabels,
        };

        CudaGraphSteps.StepLosses ForwardAndLoss(TwoTaskBatch b)
        {
            var loss = model.Loss(model.Forward(b.InputIds, b.AttentionMask, b.TokenTypeIds), b.SentenceLabels, b.TokenLabels);
            return new(loss.Total, loss.SentenceLoss, loss.TokenLoss);
        }

        CudaGraphSteps.StepLosses WholeStep(TwoTaskBatch b)
        {
            var losses = ForwardAndLoss(b);
            losses.Total.Backward();
            GradientClipping.ClipGradNorm(parameters, maxNorm: 1.0, norm);
            optimizer.Step();
            return losses;
        }

        void Step()
        {
            using var scope = Tensor.Scope();
            if (graphs?.TryStep(data, sentence: true, tokens: true, WholeStep, log.WriteLine) is null) WholeStep(data);
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

        // One more step, eager, with every kernel bracketed by events: the GPU's busy time in a step.
        double? kernelMilliseconds = null;
        if (backend.Gpu is KernelTimingDevice timer)
        {
            timer.Timing = true;
            using (Tensor.Scope())
            {
                WholeStep(data);
                optimizer.ZeroGrad();
            }
            timer.Timing = false;
            kernelMilliseconds = timer.KernelMilliseconds();
        }

        // One more step, untimed, with the peak measured per phase: what the forward keeps for the
        // backward, what the backward adds on top, what the optimizer step adds.
        long MiB(long bytes) => bytes >> 20;
        long atStart = backend.Allocator.Statistics.BytesInUse;
        long forwardPeak, backwardPeak, optimizerPeak;
        using (Tensor.Scope())
        {
            backend.Allocator.ResetPeak();
            var loss = ForwardAndLoss(data).Total;
            forwardPeak = backend.Allocator.Statistics.PeakBytesInUse;
            backend.Allocator.ResetPeak();
            loss.Backward();
            backwardPeak = backend.Allocator.Statistics.PeakBytesInUse;
            backend.Allocator.ResetPeak();
            GradientClipping.ClipGradNorm(parameters, maxNorm: 1.0, norm);
            optimizer.Step();
            optimizerPeak = backend.Allocator.Statistics.PeakBytesInUse;
            optimizer.ZeroGrad();
        }
        log.WriteLine($"memory in use: {MiB(atStart):N0} MiB between steps (parameters, AdamW moments); peaks: forward + loss " +
                      $"{MiB(forwardPeak):N0} MiB, backward {MiB(backwardPeak):N0} MiB, optimizer step {MiB(optimizerPeak):N0} MiB");
        string mode = graphs is null ? $"eager ({eager})"
            : graphs.EagerBecause is { } why ? $"eager ({why})"
            : $"CUDA graphs ({graphs.Captures} capture{(graphs.Captures == 1 ? "" : "s")}, {graphs.Replays} replays)";
        return new Result(median, batch / (median / 1000), stats.PeakBytesInUse, stats.BytesInUse + stats.BytesCached,
            stats.DeviceAllocations - allocationsBefore, mode, kernelMilliseconds);
    }
}
