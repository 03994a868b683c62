using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// A training step on CUDA reads nothing back from the device (losses and gradient norms wait in
/// device buffers until a log point; the clipping factor is computed and applied on the device; AdamW
/// is one launch), and its results are those of a loop that reads every loss and norm as it goes
/// (<see cref="ReadingLoop"/>): bit for bit on the CPU, within the norm's rounding on the software GPU.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class StepWithoutWaitingTests(CudaTestDevice device, StepWithoutWaitingTests.Runs runs) : IClassFixture<StepWithoutWaitingTests.Runs>
{
    /// <summary>What a run leaves: per step its loss, sentence loss, token loss and gradient norm; the parameters after the last step.</summary>
    internal sealed record Run(List<(double Loss, double? Sentence, double? Tokens, double? GradNorm)> Steps, Dictionary<string, float[]> Parameters);

    /// <summary>The trainer and the reading loop, on each device, made once for the class (the software GPU is slow).</summary>
    public sealed class Runs : IDisposable
    {
        readonly Lazy<(Run Trainer, Run Reading)> cpu, cuda;

        public Runs()
        {
            cpu = new(() => (Trainer(Setup, "cpu"), ReadingLoop(Setup, Options("cpu"), Device.Cpu)));
            cuda = new(() => (Trainer(Setup, "cuda"), ReadingLoop(Setup, Options("cuda"), Device.Cuda)));
        }

        internal TinyTwoTaskSetup Setup { get; } = new();
        internal TrainingOptions Options(string device) => Setup.Options(device, outName: null);
        internal (Run Trainer, Run Reading) Cpu => cpu.Value;
        internal (Run Trainer, Run Reading) Cuda => cuda.Value;

        static Run Trainer(TinyTwoTaskSetup setup, string device)
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options(device, outName: null));
            var history = trainer.Run().History;
            return new Run([.. history.Select(h => (h.Loss, h.SentenceLoss, h.TokenLoss, h.GradNorm))], TinyTwoTaskSetup.Snapshot(model));
        }

        public void Dispose() => Setup.Dispose();
    }

    /// <summary>
    /// The trainer's steps for these options (one epoch, one batch per step, every task, no freezing) as a
    /// loop that reads as it goes: each batch's losses with <see cref="Tensor.Item"/>, the global norm from
    /// per-tensor sums of squares read back (<see cref="IBackend.SumOfSquares"/>), the clipping factor
    /// computed on the host, then one <see cref="IBackend.AdamWStep"/> per parameter.
    /// </summary>
    static Run ReadingLoop(TinyTwoTaskSetup setup, TrainingOptions options, Device device)
    {
        using var model = setup.NewModel();
        model.To(device);
        model.Train();
        var batches = LengthBucketing.Consecutive(new ShuffleSampler(setup.Train.Count, options.Seed).EpochOrder(0), options.BatchSize);
        using var groups = new AdamW(TrainingParameterGroups.Build(model, options));   // holds the groups' learning rates; its Step is not called
        var schedule = new LinearWarmupSchedule((int)Math.Round(options.WarmupRatio * batches.Count), batches.Count);
        var moments = new Dictionary<Tensor, (Tensor M, Tensor V)>(ReferenceEqualityComparer.Instance);
        var steps = new List<(double, double?, double?, double?)>();
        for (int step = 0; step < batches.Count; step++)
        {
            using var scope = Tensor.Scope();
            using var batch = setup.Collator.Collate(batches[step].Select(i => setup.Train[i]).ToArray(), device);
            var output = model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
            var loss = model.Loss(output, batch.SentenceLabels, batch.TokenLabels, options.SentenceLossWeight, options.TokenLossWeight);
            loss.Total.Backward();

            var grads = model.Parameters().Where(p => p.RequiresGrad && p.Grad is not null).Select(p => p.Grad!).ToArray();
            double sumOfSquares = 0;
            foreach (var g in grads) sumOfSquares += g.Backend.SumOfSquares(g);
            double norm = Math.Sqrt(sumOfSquares), factor = options.MaxGradNorm / (norm + 1e-6);
            if (factor < 1)
                foreach (var g in grads) g.Backend.Scale(g, factor, g);
            steps.Add((loss.Total.Item(), loss.SentenceLoss?.Item(), loss.TokenLoss?.Item(), norm));

            schedule.Apply(groups, step);
            foreach (var group in groups.Groups)
                foreach (var p in group.Parameters.Where(p => p.RequiresGrad && p.Grad is not null))
                {
                    if (!moments.TryGetValue(p, out var m))
                        moments[p] = m = (Tensor.Zeros(p.Shape, device: device).Keep(), Tensor.Zeros(p.Shape, device: device).Keep());
                    p.Backend.AdamWStep(p, p.Grad!, m.M, m.V, new AdamWStepArgs(group.LearningRate, groups.Beta1, groups.Beta2, groups.Eps, group.WeightDecay, step + 1));
                }
            groups.ZeroGrad();
        }
        foreach (var (m, v) in moments.Values) { m.Dispose(); v.Dispose(); }
        return new Run(steps, TinyTwoTaskSetup.Snapshot(model));
    }

    [Fact]
    public void OnTheCpuTheTrainerGivesTheReadingLoopsLossesNormsAndParametersBitForBit()
    {
        var (trainer, reading) = runs.Cpu;
        Assert.Equal(3, reading.Steps.Count);
        Assert.Equal(reading.Steps, trainer.Steps);
        foreach (var (name, want) in reading.Parameters)
            Assert.True(want.AsSpan().SequenceEqual(trainer.Parameters[name]), $"{name} differs from the reading loop's");
    }

    // Both runs compute the same kernels on the same inputs except for the norm: the trainer sums by chunks,
    // the loop tensor by tensor (n squares in double, n a few thousand: ≤ n·2⁻⁵³ < 1e-12 relative), so the clip factor
    // in float may differ by one rounding, and from there the losses and parameters (bounds as TrainerOnCudaTests).
    // Measured on the software GPU: norms within 1.5e-16 relative, losses and parameters bit-identical.
    [Fact]
    public void OnCudaTheTrainerGivesTheReadingLoopsResultsWithinTheNormsRounding()
    {
        var (trainer, reading) = runs.Cuda;
        Assert.Equal(reading.Steps.Count, trainer.Steps.Count);
        for (int i = 0; i < reading.Steps.Count; i++)
        {
            var (want, got) = (reading.Steps[i], trainer.Steps[i]);
            AssertClose.Scalar(want.Loss, got.Loss, $"loss, step {i + 1}", relative: 1e-6);
            Assert.Equal(want.Sentence is null, got.Sentence is null);
            Assert.Equal(want.Tokens is null, got.Tokens is null);
            if (want.Sentence is double sentence) AssertClose.Scalar(sentence, got.Sentence!.Value, $"sentence loss, step {i + 1}", relative: 1e-6);
            if (want.Tokens is double tokens) AssertClose.Scalar(tokens, got.Tokens!.Value, $"token loss, step {i + 1}", relative: 1e-6);
            AssertClose.Scalar(want.GradNorm!.Value, got.GradNorm!.Value, $"gradient norm, step {i + 1}", relative: 1e-12);
        }
        foreach (var (name, want) in reading.Parameters)
            AssertClose.ToScale(want, trainer.Parameters[name], $"{name} after {reading.Steps.Count} steps", relative: Tolerance.ParametersAfterAdamW);
        device.AssertNoSanitizerFindings();
    }

    /// <summary>Notes the backend's read count each time it hears of a step.</summary>
    sealed class ReadCounter(CudaBert.Engine.Cuda.CudaBackend backend) : ITrainingObserver
    {
        public List<long> ReadsAtEachStep { get; } = [];
        public void OnStep(StepRecord step) => ReadsAtEachStep.Add(backend.DeviceToHostReads);
    }

    [Fact]
    public void CudaStepsReadNothingBackAndALogPointReadsTheLossesTheNormsAndTheLookupFlagOnce()
    {
        var setup = runs.Setup;
        using var model = setup.NewModel();
        // Two steps, then the call stops: its end is the one log point (log-every 10), with dropout, clipping and the schedule on.
        using var trainer = setup.Trainer(model, setup.Options("cuda", outName: null) with { LogEverySteps = 10 });
        var counter = new ReadCounter(device.Backend);
        trainer.Observe(counter);
        long before = device.Backend.DeviceToHostReads;

        var result = trainer.Run(stopAfterSteps: 2);

        Assert.Equal(2, result.History.Count);
        Assert.All(result.History, h => Assert.True(double.IsFinite(h.Loss) && h.GradNorm > 0, $"step {h.Step}: loss {h.Loss}, norm {h.GradNorm}"));
        // Three reads for two steps, all at the log point, before either step was reported: the embedding
        // lookups' flag, the losses buffer, the norms buffer. Nothing else reached the host.
        Assert.Equal([before + 3, before + 3], counter.ReadsAtEachStep);
        Assert.Equal(before + 3, device.Backend.DeviceToHostReads);
        device.AssertNoSanitizerFindings();
    }
}
