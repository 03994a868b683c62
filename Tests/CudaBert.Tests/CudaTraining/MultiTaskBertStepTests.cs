using CudaBert.Engine;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// <see cref="MultiTaskBert"/> itself (embeddings, additive padding mask, attention, both heads, the
/// joint loss) moved to the CUDA device with <see cref="ModuleDevice.To"/> and fed a collated batch
/// there, against the same model on the CPU: both losses, every gradient, and every parameter after
/// three AdamW steps.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class MultiTaskBertStepTests(CudaTestDevice device)
{
    const int Steps = 3;
    const double SentenceWeight = 1.0, TokenWeight = 0.5;

    sealed record Run(double[] SentenceLoss, double[] TokenLoss, double[] TotalLoss,
        Dictionary<string, float[]> FirstGradients, Dictionary<string, float[]> FinalParameters);

    static Run Train(TinyTwoTaskSetup setup, Device on)
    {
        using var model = setup.NewModel().To(on);
        Assert.Equal(on, model.DeviceOf());
        using var optimizer = new AdamW(model.Parameters(), learningRate: LearningRate, weightDecay: 0.01);
        using var batch = setup.Collator.Collate(setup.Train.Take(3).ToArray(), on);
        Assert.Equal(BatchCollator.LabelDType(on), batch.TokenLabels!.DType);

        double[] sentence = new double[Steps], token = new double[Steps], total = new double[Steps];
        Dictionary<string, float[]> gradients = [];
        for (int step = 0; step < Steps; step++)
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
        }
        return new Run(sentence, token, total, gradients, TinyTwoTaskSetup.Snapshot(model));
    }

    const double LearningRate = 1e-3, AdamEpsilon = 1e-8, GradientNoise = 1e-10;

    // Measured on the software GPU: losses within 1.5e-7 relative (bound 1e-6), gradients within 2.6e-7
    // of their tensor's largest entry (bound 2e-5), parameters after 3 steps within 4.9e-6 (bound
    // Tolerance.ParametersAfterAdamW). The kernels sum in other orders than the CPU, so bits differ.
    [Fact]
    public void LossesGradientsAndThreeAdamWStepsMatchTheCpu()
    {
        using var setup = new TinyTwoTaskSetup();
        var cpu = Train(setup, Device.Cpu);
        var gpu = Train(setup, Device.Cuda);

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
                Assert.All(want.Concat(gpu.FinalParameters[name]), v => Assert.True(Math.Abs(v) <= bound, $"{name}: {v:E3} is not noise around 0 (bound {bound:E1})"));
                continue;
            }
            AssertClose.ToScale(want, gpu.FinalParameters[name], $"{name} after {Steps} AdamW steps", relative: Tolerance.ParametersAfterAdamW);
        }
        device.AssertNoSanitizerFindings();
    }
}
