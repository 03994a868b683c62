using CudaBert.Engine;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The model with fused attention (<see cref="Ops.FusedAttention"/>) trains as with the separate attention
/// ops on the CPU, up to rounding: the same dropout masks step after step (the dropout layer's stream is
/// advanced the same way), the same losses and gradients; and its graph has no softmax.
/// </summary>
public class FusedAttentionBertTests
{
    static readonly BertConfig Config = new()
    {
        VocabSize = 30, HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 44, MaxPositionEmbeddings = 16,
    };

    // Measured: the losses of both steps have the same float32 bits; first-step gradients differ by at most
    // 4.4e-7 of their tensor's largest entry (float32 sums in other orders, through two layers); the bound
    // leaves ten times that. The key bias's gradient is zero in exact arithmetic (a softmax row does not change
    // when the same q·b_k is added to every score), so both sides hold rounding noise there, below 1e-11.
    // Step 2 runs with the dropout masks drawn after the first step's: had the fused path advanced the
    // layer's stream differently, its loss would move by far more than the bound.
    [Fact]
    public void TrainingStepsWithFusedAttentionFollowTheSeparateOps()
    {
        using var fused = new MultiTaskBert(Config, 3, 5, seed: 11);
        using var separate = new MultiTaskBert(Config, 3, 5, seed: 11);
        Assert.Equal(Config.NumHiddenLayers, SetFusedAttention(fused, true));
        SetFusedAttention(separate, false);

        var fusedRun = Train(fused);
        var separateRun = Train(separate);
        for (int step = 0; step < 2; step++)
            AssertClose.Scalar(separateRun.Losses[step], fusedRun.Losses[step], $"loss at step {step + 1}", relative: 1e-6);
        foreach (var (name, expected) in separateRun.FirstGradients)
        {
            if (name.EndsWith("attention.self.key.bias", StringComparison.Ordinal))
                AssertClose.Elementwise(new float[expected.Length], fusedRun.FirstGradients[name], $"gradient of {name}, noise around 0", absolute: 1e-11);
            else
                AssertClose.ToScale(expected, fusedRun.FirstGradients[name], $"gradient of {name}", relative: 5e-6);
        }
    }

    [Fact]
    public void TheFusedGraphRecordsOneAttentionNodePerLayerAndNoSoftmax()
    {
        using var scope = Tensor.Scope();
        using var model = new MultiTaskBert(Config, 3, 5, seed: 11);
        SetFusedAttention(model, true);
        var (ids, mask, sentenceLabels, tokenLabels) = Batch();
        var names = GraphInspection.Nodes(model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total).Select(node => node.Name).ToList();
        Assert.Equal(Config.NumHiddenLayers, names.Count(name => name == "fused_attention"));
        Assert.DoesNotContain("scaled_masked_softmax", names);
    }

    private static (Tensor Ids, Tensor Mask, Tensor SentenceLabels, Tensor TokenLabels) Batch() => (
        Tensor.FromArray(new[] { 2, 5, 6, 7, 3, 0, 2, 9, 8, 14, 21, 3, 2, 4, 3, 0, 0, 0 }, [3, 6]),
        Tensor.FromArray(new float[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, [3, 6]),
        Tensor.FromArray(new[] { 0, 2, 1 }, [3]),
        Tensor.FromArray(new[] { -100, 1, 4, 0, -100, -100, -100, 2, 3, 3, 1, -100, -100, 4, -100, -100, -100, -100 }, [3, 6]));

    private static (float[] Losses, Dictionary<string, float[]> FirstGradients) Train(MultiTaskBert model)
    {
        using var scope = Tensor.Scope();
        using var optimizer = new AdamW(model.Parameters(), learningRate: 1e-2);
        var (ids, mask, sentenceLabels, tokenLabels) = Batch();
        var losses = new float[2];
        var gradients = new Dictionary<string, float[]>();
        for (int step = 0; step < 2; step++)
        {
            optimizer.ZeroGrad();
            var loss = model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total;
            loss.Backward();
            losses[step] = (float)loss.Item();
            if (step == 0)
                foreach (var (name, parameter) in model.NamedParameters()) gradients[name] = parameter.Grad!.ToArray<float>();
            optimizer.Step();
        }
        return (losses, gradients);
    }

    /// <summary>Sets <c>Fused</c> on every self-attention layer; returns how many it found.</summary>
    private static int SetFusedAttention(Module module, bool fused)
    {
        int count = 0;
        if (module is BertSelfAttention attention) { attention.Fused = fused; count++; }
        foreach (var (_, child) in module.NamedChildren()) count += SetFusedAttention(child, fused);
        return count;
    }
}
