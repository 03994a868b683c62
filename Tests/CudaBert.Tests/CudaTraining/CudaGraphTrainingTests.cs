using CudaBert.Engine;
using CudaBert.Kernels.Device;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// The training step as CUDA graphs (<see cref="CudaGraphSteps"/>) on the test device: the same numbers as
/// the eager steps bit for bit (the same kernels on the same data in the same order: only the host's way of
/// queuing them differs), one capture per batch shape and replays after it, and the fallbacks with their reason.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class CudaGraphTrainingTests(CudaTestDevice device) : IClassFixture<CudaGraphTrainingTests.Setup>
{
    /// <summary>The tiny two-task setup (dropout on, clipping, warmup), trained for three epochs of three batches.</summary>
    public sealed class Setup : IDisposable
    {
        public Setup() : this(hidden: 16) { }
        internal Setup(int hidden) => Tiny = new(hidden);
        internal TinyTwoTaskSetup Tiny { get; }
        internal TrainingOptions Options(string graphs) => Tiny.Options("cuda", outName: null) with { Epochs = 3, WarmupRatio = 0.2, CudaGraphs = graphs };
        public void Dispose() => Tiny.Dispose();
    }

    sealed class Notices : ITrainingObserver
    {
        public List<string> Lines { get; } = [];
        public void OnNotice(string message) => Lines.Add(message);
    }

    sealed record Outcome(List<StepRecord> History, Dictionary<string, float[]> Parameters, CudaGraphSteps? Graphs, (int, int) Made, (int, int) Expected);

    static Outcome Train(Setup setup, string graphs, string precision = "fp32")
    {
        using var model = setup.Tiny.NewModel();
        using var trainer = setup.Tiny.Trainer(model, setup.Options(graphs) with { Precision = precision });
        var expected = ExpectedGraphs(setup, trainer);
        var history = trainer.Run().History.ToList();
        return new(history, TinyTwoTaskSetup.Snapshot(model), trainer.CudaGraphs,
            (trainer.CudaGraphs?.Captures ?? 0, trainer.CudaGraphs?.Replays ?? 0), expected);
    }

    /// <summary>
    /// The graphs a trainer should make, worked out from its batches: the first step runs eagerly (it creates
    /// AdamW's moments), then each step whose shape (B, S, which heads have labels) is new is captured and every
    /// other one replayed.
    /// </summary>
    static (int Captures, int Replays) ExpectedGraphs(Setup setup, MultiTaskTrainer trainer)
    {
        var keys = new List<string>();
        for (int epoch = 0; epoch < trainer.Epochs; epoch++)
            foreach (var indices in trainer.Batches(epoch))
            {
                using var batch = setup.Tiny.Collator.Collate(indices.Select(i => setup.Tiny.Train[i]).ToArray(), Device.Cpu);
                keys.Add($"{batch.InputIds.Shape} {batch.SentenceLabels is null} {batch.TokenLabels is null}");
            }
        int captures = keys.Skip(1).Distinct().Count();
        return (captures, keys.Count - 1 - captures);
    }

    [Fact]
    public void GraphStepsGiveTheEagerStepsLossesNormsAndParametersBitForBit()
    {
        var setup = new Setup();
        try
        {
            var eager = Train(setup, CudaGraphSteps.Off);
            var graphed = Train(setup, CudaGraphSteps.On);

            Assert.Null(eager.Graphs);
            Assert.Equal(9, eager.History.Count);
            var (captures, replays) = graphed.Expected;
            Assert.True(captures >= 2 && replays >= 1, $"the setup should make several shapes and repeat one: {captures} captures, {replays} replays");
            Assert.Equal(graphed.Expected, graphed.Made);
            Assert.Null(graphed.Graphs!.EagerBecause);

            Assert.Equal(eager.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm, h.LearningRate)),
                graphed.History.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm, h.LearningRate)));
            foreach (var (name, want) in eager.Parameters)
                Assert.True(want.AsSpan().SequenceEqual(graphed.Parameters[name]), $"{name} differs after graph steps");
            device.AssertNoSanitizerFindings();
        }
        finally { setup.Dispose(); }
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("tf32")]
    [InlineData("bf16")]
    public void FusedAttentionInAGraphDrawsEachReplaysOwnDropoutMasks(string precision)
    {
        // Heads of 32: attention runs as the fused kernels (fp32: flash_attention.cu, tf32 and bf16: flash_attention_mma.cu),
        // whose dropout stream must move on at every replay as the separate dropout kernel's does (a shift the host
        // rewrites), or every replay would reuse the captured step's attention masks and the losses would part
        // from the eager run's.
        var setup = new Setup(hidden: 64);
        try
        {
            var eager = Train(setup, CudaGraphSteps.Off, precision);
            var graphed = Train(setup, CudaGraphSteps.On, precision);
            Assert.True(graphed.Made.Item2 >= 1, $"no replay: {graphed.Made}");
            Assert.Equal(eager.History.Select(h => (h.Loss, h.GradNorm)), graphed.History.Select(h => (h.Loss, h.GradNorm)));
            foreach (var (name, want) in eager.Parameters)
                Assert.True(want.AsSpan().SequenceEqual(graphed.Parameters[name]), $"{name} differs after graph steps");
        }
        finally { setup.Dispose(); }
    }

    [Fact]
    public void AHeadWithoutALossDoesNotKeepGraphsOff()
    {
        // The token head never gets a gradient (weight 0), so it never gets AdamW moments: the steps are still
        // captured, as soon as the parameters they update have theirs. One batch of all nine examples per epoch:
        // step 1 eager, step 2 captured, step 3 replayed.
        var setup = new Setup();
        try
        {
            TrainingOptions Options(string graphs) => setup.Options(graphs) with { TokenLossWeight = 0, BatchSize = 9 };
            (List<StepRecord>, Dictionary<string, float[]>, int, int) Run(string graphs)
            {
                using var model = setup.Tiny.NewModel();
                using var trainer = setup.Tiny.Trainer(model, Options(graphs));
                var history = trainer.Run().History.ToList();
                return (history, TinyTwoTaskSetup.Snapshot(model), trainer.CudaGraphs?.Captures ?? 0, trainer.CudaGraphs?.Replays ?? 0);
            }
            var (eagerHistory, eagerParameters, _, _) = Run(CudaGraphSteps.Off);
            var (history, parameters, captures, replays) = Run(CudaGraphSteps.On);

            Assert.Equal((1, 1), (captures, replays));
            Assert.Equal(eagerHistory.Select(h => (h.Loss, h.GradNorm)), history.Select(h => (h.Loss, h.GradNorm)));
            foreach (var (name, want) in eagerParameters)
                Assert.True(want.AsSpan().SequenceEqual(parameters[name]), $"{name} differs after graph steps");
        }
        finally { setup.Dispose(); }
    }

    [Fact]
    public void AutoOnCudaSaysGraphsAreOnAndAFallbackSaysWhy()
    {
        var setup = new Setup();
        try
        {
            using var model = setup.Tiny.NewModel();
            var notices = new Notices();
            using (var trainer = setup.Tiny.Trainer(model, setup.Options(CudaGraphSteps.Auto)))
            {
                trainer.Observe(notices).Run(stopAfterSteps: 1);
                Assert.NotNull(trainer.CudaGraphs);
            }
            Assert.Equal(["CUDA graphs: on (a step is captured once per batch shape, then replayed)"], notices.Lines);

            notices.Lines.Clear();
            using (var trainer = setup.Tiny.Trainer(model, setup.Options(CudaGraphSteps.Auto) with { GradientAccumulation = 2 }))
            {
                trainer.Observe(notices).Run(stopAfterSteps: 1);
                Assert.Null(trainer.CudaGraphs);
            }
            Assert.Equal(["CUDA graphs: off: gradient accumulation runs several batches per optimizer step"], notices.Lines);

            var on = Assert.Throws<ArgumentException>(() => setup.Tiny.Trainer(model, setup.Options(CudaGraphSteps.On) with { GradientAccumulation = 2 }));
            Assert.Contains("cuda-graphs", on.Message);
            Assert.Contains("gradient accumulation", on.Message);
        }
        finally { setup.Dispose(); }
    }

    [Fact]
    public void AHostReadWhileCapturingFailsClearlyAndLeavesTheBackendUsable()
    {
        using var x = Tensor.FromArray([2f], new Shape(1), device: Device.Cuda);
        var error = Assert.Throws<CudaException>(() => device.Backend.Capture(() => x.Item()));
        Assert.Equal("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", error.ErrorName);
        Assert.False(device.Backend.IsCapturing);
        Assert.Equal(2.0, x.Item());
    }
}
