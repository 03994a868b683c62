using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Embeddings;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary><see cref="SentenceEmbedder"/> with its encoder moved to the CUDA device, against the same encoder on the CPU.</summary>
[Collection(CudaBackendCollection.Name)]
public class SentenceEmbedderOnCudaTests(CudaTestDevice device)
{
    // Measured on the software GPU: embeddings (unit vectors) within 4.5e-8 of the CPU's; bound 1e-6.
    [Fact]
    public void EmbeddingsOnCudaMatchTheCpu()
    {
        using var setup = new TinyTwoTaskSetup();
        string[] texts = setup.Dev.Select(e => e.Text).Append("play").ToArray();   // different lengths: padding in the batch
        using var onCpu = new SentenceEmbedder(new BertModel(setup.Config, withPooler: false, seed: 3), setup.Collator.Tokenizer);
        using var onCuda = new SentenceEmbedder(new BertModel(setup.Config, withPooler: false, seed: 3).To(Device.Cuda), setup.Collator.Tokenizer);
        float[][] want = onCpu.Embed(texts), got = onCuda.Embed(texts);
        Assert.Equal(want.Length, got.Length);
        for (int i = 0; i < want.Length; i++)
            AssertClose.ToScale(want[i], got[i], $"embedding of '{texts[i]}'", relative: 1e-6);
        device.AssertNoSanitizerFindings();
    }
}
