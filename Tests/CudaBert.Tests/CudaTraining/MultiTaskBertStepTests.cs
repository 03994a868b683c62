using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cuda;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// The whole multi-task training step of <see cref="MultiTaskBert"/> (embeddings, additive padding
/// mask, attention, both heads, the joint loss, backward, AdamW) moved to the CUDA device with
/// <see cref="ModuleDevice.To"/> and fed a collated batch there, against the same model on the CPU:
/// both losses, every gradient, and every parameter after three AdamW steps; two CUDA runs from the
/// same seed give the same bits and reuse the allocator's cache; with TF32 GEMMs the first step
/// stays within TF32 rounding.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class MultiTaskBertStepTests(CudaTestDevice device, MultiTaskBertStepTests.Runs runs) : IClassFixture<MultiTaskBertStepTests.Runs>
{
    /// <summary>The CPU run and two CUDA runs from the same seed, made once for the class (the software GPU is slow).</summary>
    public sealed class Runs : IDisposable
    {
        readonly Lazy<(Run Cpu, Run FirstCuda, Run SecondCuda, long LeakedBytes)> runs;

        public Runs() => runs = new(() =>
        {
            var cpu = Train(Setup, Device.Cpu, allocator: null);
            var allocator = CudaBackend.Current.Allocator;
            long before = allocator.Statistics.BytesInUse;
            var first = Train(Setup, Device.Cuda, allocator);
            var second = Train(Setup, Device.Cuda, allocator);
            return (cpu, first, second, allocator.Statistics.BytesInUse - before);
        });

        internal TinyTwoTaskSetup Setup { get; } = new();
        internal Run Cpu => runs.Value.Cpu;
        internal Run FirstCuda => runs.Value.FirstCuda;
        internal Run SecondCuda => runs.Value.SecondCuda;
        /// <summary>Device bytes still in use after both CUDA runs that were not before (the models, optimizers and batches are disposed).</summary>
        internal long LeakedBytes => runs.Value.LeakedBytes;

        public void Dispose() => Setup.Dispose();
    }

    const int Steps = 3;
    const double SentenceWeight = 1.0, TokenWeight = 0.5;
    const double LearningRate = 1e-3, AdamEpsilon = 1e-8, GradientNoise = 1e-10;

    /// <summary>
    /// What one run records: losses of every step, gradients of the first step, parameters after the
    /// last, and the allocator's cuMemAlloc count after step 2 (the first step that starts with the
    /// optimizer's moments alive, i.e. the steady state) and after the last.
    /// </summary>
    internal sealed record Run(double[] SentenceLoss, double[] TokenLoss, double[] TotalLoss,
        Dictionary<string, float[]> FirstGradients, Dictionary<string, float[]> FinalParameters,
        long DeviceAllocationsAfterSecondStep, long DeviceAllocationsAfterLastStep);

    static Run Train(TinyTwoTaskSetup setup, Device on, CachingAllocator? allocator, int steps = Steps)
    {
        using var model = setup.NewModel().To(on);
        Assert.Equal(on, model.DeviceOf());
        using var optimizer = new AdamW(model.Parameters(), learningRate: LearningRate, weightDecay: 0.01);
        using var batch = setup.Collator.Collate(setup.Train.Take(3).ToArray(), on);
        Assert.Equal(BatchCollator.LabelDType(on), batch.TokenLabels!.DType);

        double[] sentence = new double[steps], token = new double[steps], total = new double[steps];
        Dictionary<string, float[]> gradients = [];
        long afterSecond = 0;
        for (int step = 0; step < steps; step++)
        {
            using (Tensor.Scope())
            {
                var output = model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
                var loss = model.Loss(output, batch.SentenceLabels, batch.TokenLabels, SentenceWeight, TokenWeight);
                loss.Total.Backward();
                (sentence[step], token[step], total[step]) = (loss.SentenceLoss!.Item(), loss.TokenLoss!.Item(), loss.Total.Item());
            }
            if (step == 0)
                foreach (var (name, p) in model.NamedParameters()) gradients[name] = p.Grad!.ToArray<float>();
            optimizer.Step();
            optimizer.ZeroGrad();
            if (step == 1) afterSecond = allocator?.Statistics.DeviceAllocations ?? 0;
        }
        return new Run(sentence, token, total, gradients, TinyTwoTaskSetup.Snapshot(model),
            afterSecond, allocator?.Statistics.DeviceAllocations ?? 0);
    }

    // Measured on the software GPU: losses within 1.4e-7 relative (bound 1e-6), gradients within 3.2e-7
    // of their tensor's largest entry (bound 2e-5), parameters after 3 steps within 2.4e-5 (bound
    // Tolerance.ParametersAfterAdamW: AdamW's per-entry normalisation magnifies rounding where a
    // gradient is tiny). The kernels sum in other orders than the CPU, so bits differ.
    [Fact]
    public void LossesGradientsAndThreeAdamWStepsMatchTheCpu()
    {
        var (cpu, gpu) = (runs.Cpu, runs.FirstCuda);

        for (int step = 0; step < Steps; step++)
        {
            AssertClose.Scalar(cpu.SentenceLoss[step], gpu.SentenceLoss[step], $"sentence loss, step {step + 1}", relative: 1e-6);
            AssertClose.Scalar(cpu.TokenLoss[step], gpu.TokenLoss[step], $"token loss, step {step + 1}", relative: 1e-6);
            AssertClose.Scalar(cpu.TotalLoss[step], gpu.TotalLoss[step], $"total loss, step {step + 1}", relative: 1e-6);
        }
        Assert.Equal(cpu.FirstGradients.Keys.Order(), gpu.FirstGradients.Keys.Order());
        foreach (var (name, want) in cpu.FirstGradients)
            AssertClose.ToScale(want, gpu.FirstGradients[name], $"gradient of {name}", absolute: GradientNoise, relative: 2e-5);
        foreach (var (name, want) in cpu.FinalParameters)
        {
            if (Bert.MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name))
            {
                // Zero-initialised with a zero gradient, the key bias stays 0 in exact arithmetic; AdamW turns the
                // rounding noise g (|g| ≤ GradientNoise, checked above) into steps of at most lr·|g|/eps each.
                double bound = Steps * LearningRate * GradientNoise / AdamEpsilon;
                AssertClose.Elementwise(new float[want.Length], want, $"{name} on the CPU, noise around 0", absolute: bound);
                AssertClose.Elementwise(new float[want.Length], gpu.FinalParameters[name], $"{name} on CUDA, noise around 0", absolute: bound);
                continue;
            }
            AssertClose.ToScale(want, gpu.FinalParameters[name], $"{name} after {Steps} AdamW steps", relative: Tolerance.ParametersAfterAdamW);
        }
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void TwoRunsGiveBitIdenticalLossesAndSteadyStepsDoNotAllocateOrLeak()
    {
        var (first, second) = (runs.FirstCuda, runs.SecondCuda);
        Assert.Equal(0, runs.LeakedBytes);
        Assert.Equal(first.TotalLoss.Select(BitConverter.DoubleToInt64Bits), second.TotalLoss.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(first.SentenceLoss.Select(BitConverter.DoubleToInt64Bits), second.SentenceLoss.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(first.TokenLoss.Select(BitConverter.DoubleToInt64Bits), second.TokenLoss.Select(BitConverter.DoubleToInt64Bits));
        // Step 1 fills the cache; step 2 adds the blocks the optimizer's moments now hold; from then on
        // every block a step needs is in the allocator's cache.
        Assert.Equal(first.DeviceAllocationsAfterSecondStep, first.DeviceAllocationsAfterLastStep);
        // The second run is served entirely from blocks the first one gave back.
        Assert.Equal(first.DeviceAllocationsAfterLastStep, second.DeviceAllocationsAfterLastStep);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void WithTf32GemmsTheFirstStepStaysWithinTf32RoundingOfTheCpu()
    {
        var cpu = runs.Cpu;
        Run gpu;
        using (Tf32Mode.Allow()) gpu = Train(runs.Setup, Device.Cuda, allocator: null, steps: 1);

        // TF32 rounds every GEMM input to 10 mantissa bits (≤ 2⁻¹¹ relative). Measured on the software
        // GPU: losses within 4.3e-6 relative, gradients within 9.1e-4 of their tensor's largest entry;
        // the bounds leave 5 to 20 times that.
        AssertClose.Scalar(cpu.SentenceLoss[0], gpu.SentenceLoss[0], "sentence loss (tf32)", relative: 1e-4);
        AssertClose.Scalar(cpu.TokenLoss[0], gpu.TokenLoss[0], "token loss (tf32)", relative: 1e-4);
        foreach (var (name, want) in cpu.FirstGradients)
            AssertClose.ToScale(want, gpu.FirstGradients[name], $"gradient of {name} (tf32)", absolute: GradientNoise, relative: 5e-3);
        // Not the fp32 result: the tensor-core kernel really ran.
        Assert.NotEqual(runs.FirstCuda.TotalLoss[0], gpu.TotalLoss[0]);
        device.AssertNoSanitizerFindings();
    }
}
