using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.BertKernels;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The model with its fused ops (linear + GELU, linear + GELU + linear, dropout + residual + layer norm) trains to the same
/// bits on the CPU as with the separate ops: losses, gradients and parameters after AdamW steps.
/// </summary>
[Collection(BitIdentityCollection.Name)]
public class FusedBertTests
{
    [Theory]
    [InlineData(MatmulPrecision.Fp32)]
    [InlineData(MatmulPrecision.Bf16)]   // the feed-forward block fused with bfloat16 GEMM operands, the rest as in fp32
    public void TrainingStepsWithFusedOpsHaveTheBitsOfTheSeparateOps(MatmulPrecision precision)
    {
        using var mode = MatmulPrecisionMode.Use(precision);
        // An intermediate width that is no multiple of the vector width, two layers, dropout on (0.1).
        var config = new BertConfig { VocabSize = 30, HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 44, MaxPositionEmbeddings = 16 };
        using var fused = new MultiTaskBert(config, 3, 5, seed: 11);
        using var separate = new MultiTaskBert(config, 3, 5, seed: 11);
        int switched = SetFused(separate, false);
        Assert.Equal(2 * config.NumHiddenLayers + config.NumHiddenLayers, switched);   // two residual exits and one intermediate per layer

        var fusedRun = Train(fused);
        var separateRun = Train(separate);
        for (int i = 0; i < separateRun.Count; i++)
            KernelAssert.BitEqual(separateRun[i].Values, fusedRun[i].Values, separateRun[i].What);
    }

    private static List<(string What, float[] Values)> Train(MultiTaskBert model)
    {
        using var scope = Tensor.Scope();
        using var optimizer = new AdamW(model.Parameters(), learningRate: 1e-2);
        var ids = Tensor.FromArray(new[] { 2, 5, 6, 7, 3, 0, 2, 9, 8, 14, 21, 3, 2, 4, 3, 0, 0, 0 }, [3, 6]);
        var mask = Tensor.FromArray(new float[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, [3, 6]);
        var sentenceLabels = Tensor.FromArray(new[] { 0, 2, 1 }, [3]);
        var tokenLabels = Tensor.FromArray(new[] { -100, 1, 4, 0, -100, -100, -100, 2, 3, 3, 1, -100, -100, 4, -100, -100, -100, -100 }, [3, 6]);
        var recorded = new List<(string, float[])>();
        for (int step = 1; step <= 2; step++)
        {
            optimizer.ZeroGrad();
            var loss = model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total;
            loss.Backward();
            recorded.Add(($"loss at step {step}", loss.ToArray<float>()));
            foreach (var (name, parameter) in model.NamedParameters())
                recorded.Add(($"gradient of {name} at step {step}", parameter.Grad!.ToArray<float>()));
            optimizer.Step();
        }
        foreach (var (name, parameter) in model.NamedParameters())
            recorded.Add(($"{name} after 2 steps", parameter.ToArray<float>()));
        return recorded;
    }

    /// <summary>Sets <c>Fused</c> on every layer that has the switch; returns how many it found.</summary>
    private static int SetFused(Module module, bool fused)
    {
        int count = 0;
        if (module is BertIntermediate intermediate) { intermediate.Fused = fused; count++; }
        if (module is BertResidualOutput exit) { exit.Fused = fused; count++; }
        foreach (var (_, child) in module.NamedChildren()) count += SetFused(child, fused);
        return count;
    }
}
