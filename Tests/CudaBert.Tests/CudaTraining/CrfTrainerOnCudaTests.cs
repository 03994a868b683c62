using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Inference;
using CudaBert.Tests.CudaBackendTests;
using Device = CudaBert.Engine.Device;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// A model with a CRF token head trained for three steps on CUDA (crf.cu, the word gather and its
/// scatter, batches that mix tagged and untagged examples) against the same run on the CPU.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class CrfTrainerOnCudaTests(CudaTestDevice device)
{
    // The CPU runs the CRF in float64, the GPU in float32; the encoder's own CPU/GPU difference is
    // 1.5e-7 of the loss (TrainerOnCudaTests). Measured on the software GPU: at most 1.05e-7 relative
    // (one float32 ulp of the loss), so 1e-7 fails and 1e-6 leaves room for another GPU's rounding.
    const double LossBound = 1e-6;

    [Fact]
    public void ThreeCrfStepsOnCudaMatchTheCpuAndDecodeTheSameTags()
    {
        using var setup = new TinyTwoTaskSetup();
        var (cpuLosses, cpuTags) = Train(setup, "cpu");
        var (cudaLosses, cudaTags) = Train(setup, "cuda");
        Assert.Equal(3, cpuLosses.Length);
        for (int i = 0; i < cpuLosses.Length; i++)
        {
            AssertClose.Scalar(cpuLosses[i].Token, cudaLosses[i].Token, $"CRF token loss, step {i + 1}", relative: LossBound);
            AssertClose.Scalar(cpuLosses[i].Total, cudaLosses[i].Total, $"loss, step {i + 1}", relative: LossBound);
        }
        Assert.Equal(cpuTags, cudaTags);
        device.AssertNoSanitizerFindings();
    }

    static ((double Total, double Token)[] Losses, string[][] Tags) Train(TinyTwoTaskSetup setup, string deviceName)
    {
        using var model = new MultiTaskBert(setup.Config, setup.Collator.SentenceLabels.Count, setup.Collator.TokenLabels.Count, seed: 5, tokenHead: TokenHead.Crf);
        using var trainer = setup.Trainer(model, setup.Options(deviceName, outName: null) with { TokenHead = TokenHeadNames.Crf });
        var result = trainer.Run();
        Assert.Equal(deviceName == "cuda" ? Device.Cuda : Device.Cpu, model.DeviceOf());
        var predictions = TwoTaskPredictor.Predict(model, setup.Collator, [.. setup.Train, .. setup.Dev], batchSize: 4);
        return (result.History.Select(h => (h.Loss, h.TokenLoss!.Value)).ToArray(), predictions.Select(p => p.WordTags).ToArray());
    }
}
