using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;
using Device = CudaBert.Engine.Device;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// <see cref="MultiTaskTrainer"/> with <c>Device = "cuda"</c> (three optimizer steps with gradient
/// clipping and the learning-rate schedule, an evaluation, a checkpoint) against the same run with
/// <c>Device = "cpu"</c>; the checkpoint the CUDA run wrote, read back on the CPU and resumed on CUDA.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class TrainerOnCudaTests(CudaTestDevice device, TrainerOnCudaTests.Runs runs) : IClassFixture<TrainerOnCudaTests.Runs>
{
    /// <summary>What one trainer run leaves: its result, its parameters and its predictions on train + dev.</summary>
    internal sealed record Run(DeviceChoice Device, TrainingResult Result, Dictionary<string, float[]> Parameters, List<TwoTaskPrediction> Predictions);

    /// <summary>The CPU run and the CUDA run (which writes a checkpoint), made once for the class.</summary>
    public sealed class Runs : IDisposable
    {
        readonly Lazy<(Run Cpu, Run Cuda)> runs;

        public Runs() => runs = new(() => (Train(Setup, "cpu", outName: null), Train(Setup, "cuda", CudaOut)));

        internal TinyTwoTaskSetup Setup { get; } = new();
        internal const string CudaOut = "cuda-run";
        internal Run Cpu => runs.Value.Cpu;
        internal Run Cuda => runs.Value.Cuda;
        internal string CudaCheckpoint => RunCheckpoints.Latest(Path.Combine(Setup.Folder, CudaOut))!;
        internal IReadOnlyList<TwoTaskExample> Examples => [.. Setup.Train, .. Setup.Dev];

        static Run Train(TinyTwoTaskSetup setup, string device, string? outName)
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options(device, outName));
            var result = trainer.Run();
            var predictions = TwoTaskPredictor.Predict(model, setup.Collator, [.. setup.Train, .. setup.Dev], batchSize: 4);
            return new Run(trainer.DeviceChoice, result, TinyTwoTaskSetup.Snapshot(model), predictions);
        }

        public void Dispose() => Setup.Dispose();
    }

    const int Steps = 3;
    const double GradientNoise = 1e-10, AdamEpsilon = 1e-8;

    // Measured on the software GPU: step losses and gradient norms within 1.5e-7 relative (bound 1e-6), parameters
    // within 1.2e-5 of their tensor's largest entry (bound: Tolerance.ParametersAfterAdamW).
    [Fact]
    public void ThreeStepsOnCudaMatchTheCpuAndPredictTheSameLabels()
    {
        var (cpu, gpu) = (runs.Cpu, runs.Cuda);
        Assert.Equal(Device.Cpu, cpu.Device.Device);
        Assert.Equal(Device.Cuda, gpu.Device.Device);
        Assert.Equal(Steps, cpu.Result.Steps);
        Assert.Equal(Steps, gpu.Result.Steps);
        for (int i = 0; i < Steps; i++)
        {
            var (want, got) = (cpu.Result.History[i], gpu.Result.History[i]);
            AssertClose.Scalar(want.Loss, got.Loss, $"loss, step {i + 1}", relative: 1e-6);
            Assert.Equal(want.SentenceLoss is null, got.SentenceLoss is null);
            if (want.SentenceLoss is double sentence) AssertClose.Scalar(sentence, got.SentenceLoss!.Value, $"sentence loss, step {i + 1}", relative: 1e-6);
            if (want.TokenLoss is double token) AssertClose.Scalar(token, got.TokenLoss!.Value, $"token loss, step {i + 1}", relative: 1e-6);
            AssertClose.Scalar(want.GradNorm!.Value, got.GradNorm!.Value, $"gradient norm, step {i + 1}", relative: 1e-6);
            Assert.Equal(want.LearningRate, got.LearningRate);
        }
        foreach (var (name, want) in cpu.Parameters)
        {
            if (Bert.MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name))
            {
                // Noise around 0 (see MultiTaskBertStepTests): AdamW steps of at most lr·|g|/eps with |g| ≤ GradientNoise.
                double bound = cpu.Result.History.Sum(h => h.LearningRate) * GradientNoise / AdamEpsilon;
                AssertClose.Elementwise(new float[want.Length], want, $"{name} on the CPU, noise around 0", absolute: bound);
                AssertClose.Elementwise(new float[want.Length], gpu.Parameters[name], $"{name} on CUDA, noise around 0", absolute: bound);
                continue;
            }
            AssertClose.ToScale(want, gpu.Parameters[name], $"{name} after {Steps} steps", relative: Tolerance.ParametersAfterAdamW);
        }
        AssertSameLabels(cpu.Predictions, gpu.Predictions, "CUDA model vs CPU model");
        Assert.Equal(cpu.Result.FinalEvaluation!.Scores.Intent!.Accuracy, gpu.Result.FinalEvaluation!.Scores.Intent!.Accuracy);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ACheckpointWrittenFromCudaLoadsOnTheCpuWithTheSameWeightsAndLabelsAndBackOnCuda()
    {
        var gpu = runs.Cuda;
        using var pipeline = TwoTaskPipeline.Load(runs.CudaCheckpoint);
        Assert.Equal(Device.Cpu, pipeline.Model.DeviceOf());
        // The weights were copied back to the host bit for bit.
        foreach (var (name, parameter) in pipeline.Model.NamedParameters())
            Assert.True(parameter.ToArray<float>().AsSpan().SequenceEqual(gpu.Parameters[name]), $"{name} differs between the CUDA model and its checkpoint");
        var onCpu = TwoTaskPredictor.Predict(pipeline.Model, pipeline.Collator, runs.Examples, batchSize: 4);
        AssertSameLabels(gpu.Predictions, onCpu, "CUDA model vs its checkpoint on the CPU");

        // Loaded straight onto the GPU (what `cudabert predict --device cuda` does): the same text predictions as on the CPU.
        using var pipelineOnCuda = TwoTaskPipeline.Load(runs.CudaCheckpoint, device: Device.Cuda);
        Assert.Equal(Device.Cuda, pipelineOnCuda.Model.DeviceOf());
        string[] texts = runs.Examples.Select(e => e.Text).ToArray();
        var (cpuTexts, cudaTexts) = (pipeline.Predict(texts), pipelineOnCuda.Predict(texts));
        Assert.Equal(cpuTexts.Select(p => (p.Intent, string.Join("|", p.Entities))), cudaTexts.Select(p => (p.Intent, string.Join("|", p.Entities))));
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ACudaRunInterruptedAfterTwoStepsResumesBitIdenticallyOnCuda()
    {
        var setup = runs.Setup;
        var options = setup.Options("cuda", "interrupted");
        using (var model = setup.NewModel())
        using (var trainer = setup.Trainer(model, options))
            trainer.Run(stopAfterSteps: 2);
        string checkpoint = RunCheckpoints.Latest(options.Out!)!;
        // As a fresh process would: the model is read on the CPU, the trainer moves it and the AdamW moments to CUDA.
        using (var model = MultiTaskBert.Load(checkpoint))
        using (var trainer = setup.Trainer(model, options))
        {
            trainer.ResumeFrom(checkpoint);
            var resumed = trainer.Run();
            Assert.Equal(Device.Cuda, model.DeviceOf());
            Assert.Equal(runs.Cuda.Result.History.Skip(2).Select(h => h.Loss), resumed.History.Select(h => h.Loss));
            var parameters = TinyTwoTaskSetup.Snapshot(model);
            Assert.All(runs.Cuda.Parameters, p => Assert.True(p.Value.AsSpan().SequenceEqual(parameters[p.Key]), $"{p.Key} differs after resume"));
        }
        device.AssertNoSanitizerFindings();
    }

    // With tf32 the GEMM inputs are rounded to 10 mantissa bits. Measured on the software GPU: the three
    // losses differ from the fp32 run by at most 2.0e-6 relative; the bound, 1e-4, is the TF32 loss bound
    // of MultiTaskBertStepTests (a bound of 1e-6 fails here, so the comparison does look at the rounding).
    [Fact]
    public void WithTf32TheTrainerUsesTheTensorCoreGemmAndStaysWithinItsRounding()
    {
        var setup = runs.Setup;
        using var model = setup.NewModel();
        using var trainer = setup.Trainer(model, setup.Options("cuda", outName: null) with { Tf32 = true });
        Assert.False(Tf32Mode.IsAllowed);
        var result = trainer.Run();
        Assert.False(Tf32Mode.IsAllowed);   // the option held while the trainer ran, and nowhere else
        var exact = runs.Cuda.Result.History;
        double largest = 0;
        for (int i = 0; i < Steps; i++)
        {
            AssertClose.Scalar(exact[i].Loss, result.History[i].Loss, $"tf32 loss, step {i + 1} (expected: the fp32 run's)", relative: 1e-4);
            largest = Math.Max(largest, Math.Abs(result.History[i].Loss - exact[i].Loss));
        }
        Assert.True(largest > 0, "tf32 losses are identical to fp32: the tensor-core kernel was not used");
        device.AssertNoSanitizerFindings();
    }

    // Each bf16 run is within 2⁻¹⁰ relative of the fp32 run on its device (the bound of
    // MixedPrecisionTrainingTests, where 7.4e-5 was measured), and the fp32 runs of the two devices within
    // 1e-6 of each other (above), so the bf16 runs are within 2·2⁻¹⁰ + 1e-6 of each other.
    [Fact]
    public void Bf16StepsOnCudaStayWithinTheirRoundingOfTheCpu()
    {
        var setup = runs.Setup;
        TrainingResult Train(string on)
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options(on, outName: null) with { Precision = "bf16" });
            return trainer.Run();
        }
        var (cpu, gpu) = (Train("cpu"), Train("cuda"));
        Assert.Equal(Steps, gpu.Steps);
        for (int i = 0; i < Steps; i++)
        {
            AssertClose.Scalar(cpu.History[i].Loss, gpu.History[i].Loss, $"bf16 loss, step {i + 1} (expected: the CPU's)", relative: 2 * Math.Pow(2, -10) + 1e-6);
            AssertClose.Scalar(runs.Cuda.Result.History[i].Loss, gpu.History[i].Loss, $"bf16 loss, step {i + 1} (expected: the fp32 CUDA run's)", relative: Math.Pow(2, -10));
        }
        Assert.NotEqual(runs.Cuda.Result.History[0].Loss, gpu.History[0].Loss);   // the bf16 GEMM was used
        device.AssertNoSanitizerFindings();
    }

    static void AssertSameLabels(List<TwoTaskPrediction> expected, List<TwoTaskPrediction> actual, string what)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.True(expected[i].SentenceLabel == actual[i].SentenceLabel, $"{what}, example {i}: intent {expected[i].SentenceLabel} vs {actual[i].SentenceLabel}");
            Assert.True(expected[i].WordTags.SequenceEqual(actual[i].WordTags), $"{what}, example {i}: tags {string.Join(' ', expected[i].WordTags)} vs {string.Join(' ', actual[i].WordTags)}");
            AssertClose.Scalar(expected[i].SentenceProbability, actual[i].SentenceProbability, $"{what}, example {i}: intent probability", relative: 1e-5);
        }
    }
}
