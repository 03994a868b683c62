using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.Bert;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// A <see cref="MultiTaskBert"/> with heads of 32 (MiniLM's size) on the CUDA device takes the fused attention
/// kernels by itself, and its training step (dropout on) matches the same model on the CPU, which runs the
/// separate attention ops.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class FusedAttentionOnCudaTests(CudaTestDevice device)
{
    static readonly BertConfig Config = new()
    {
        VocabSize = 30, HiddenSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 48, MaxPositionEmbeddings = 16,
    };

    // Measured on the software GPU: the same loss, gradients within 4.8e-7 of their tensor's largest entry
    // (bound 5e-6). The key bias's gradient is zero in exact arithmetic: rounding noise on both sides, below
    // 1e-11 (bound 1e-10).
    [Fact]
    public void TheStepTakesTheFusedKernelsAndMatchesTheCpu()
    {
        var cpu = Step(Device.Cpu, out var cpuNodes);
        var gpu = Step(Device.Cuda, out var gpuNodes);
        Assert.Contains("scaled_masked_softmax", cpuNodes);
        Assert.DoesNotContain("fused_attention", cpuNodes);
        Assert.Contains("fused_attention", gpuNodes);
        Assert.DoesNotContain("scaled_masked_softmax", gpuNodes);

        AssertClose.Scalar(cpu.Loss, gpu.Loss, "loss", relative: 1e-6);
        foreach (var (name, expected) in cpu.Gradients)
        {
            if (MultiTaskBertFixture.HasZeroGradientInExactArithmetic(name))
                AssertClose.Elementwise(new float[expected.Length], gpu.Gradients[name], $"gradient of {name} on CUDA, noise around 0", absolute: 1e-10);
            else
                AssertClose.ToScale(expected, gpu.Gradients[name], $"gradient of {name}", absolute: 1e-10, relative: 5e-6);
        }
        device.AssertNoSanitizerFindings();
    }

    static (double Loss, Dictionary<string, float[]> Gradients) Step(Device on, out List<string> nodes)
    {
        using var scope = Tensor.Scope();
        using var model = new MultiTaskBert(Config, 3, 5, seed: 13).To(on);
        var ids = Tensor.FromArray(new[] { 2, 5, 6, 7, 3, 0, 2, 9, 8, 14, 21, 3, 2, 4, 3, 0, 0, 0 }, [3, 6], device: on);
        var mask = Tensor.FromArray(new float[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, [3, 6], device: on);
        var sentenceLabels = Tensor.FromArray(new[] { 0, 2, 1 }, [3], on);
        var tokenLabels = Tensor.FromArray(new[] { -100, 1, 4, 0, -100, -100, -100, 2, 3, 3, 1, -100, -100, 4, -100, -100, -100, -100 }, [3, 6], on);
        var loss = model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total;
        nodes = GraphInspection.Nodes(loss).Select(node => node.Name).ToList();
        loss.Backward();
        return (loss.Item(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToArray<float>()));
    }
}
