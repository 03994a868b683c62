using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Engine.Optim;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Tests.BertKernels;

namespace CudaBert.Tests.Bert;

/// <summary>
/// A multi-task BERT with gradient checkpointing trains to the same bits on the CPU as without it: the
/// recomputed layers run the same ops in the same order, on the same dropout masks.
/// </summary>
[Collection(BitIdentityCollection.Name)]
public class GradientCheckpointingTests
{
    // An intermediate width that is no multiple of the vector width, two layers, dropout on everywhere (0.1).
    static BertConfig Config() => new() { VocabSize = 30, HiddenSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 44, MaxPositionEmbeddings = 16 };

    [Theory]
    [InlineData(MatmulPrecision.Fp32)]
    [InlineData(MatmulPrecision.Bf16)]
    public void CheckpointedStepsHaveTheBitsOfPlainSteps(MatmulPrecision precision)
    {
        using var plain = new MultiTaskBert(Config(), 3, 5, seed: 11);
        using var checkpointed = new MultiTaskBert(Config(), 3, 5, seed: 11) { GradientCheckpointing = true };

        var plainRun = Train(plain, precision);
        var checkpointedRun = Train(checkpointed, precision);
        Assert.Equal(plainRun.Count, checkpointedRun.Count);
        for (int i = 0; i < plainRun.Count; i++)
        {
            Assert.Equal(plainRun[i].What, checkpointedRun[i].What);
            KernelAssert.BitEqual(plainRun[i].Values, checkpointedRun[i].Values, plainRun[i].What);
        }
    }

    [Fact]
    public void TheEncoderLayersAreOneNodeEachAndSaveNothingElse()
    {
        using var model = new MultiTaskBert(Config(), 3, 5, seed: 11) { GradientCheckpointing = true };
        using var scope = Tensor.Scope();
        var (ids, mask, _, _) = Batch();
        var hidden = model.Forward(ids, mask).LastHiddenState;
        var node = hidden.GradFn!;
        Assert.Equal("checkpoint(BertLayer)", node.Name);
        // The layer's input, then its 16 trainable parameters (4 + 2 + 2 linears' weights and biases, 2 layer norms' pairs).
        var layer = model.Encoder.Encoder.Layers[1];
        Assert.Equal(1 + layer.Parameters().Count(), node.Inputs.Count);
        Assert.Equal(16, layer.Parameters().Count());
        Assert.Equal("checkpoint(BertLayer)", node.Inputs[0]!.GradFn!.Name);   // the first layer's output
    }

    [Fact]
    public void AFrozenLayerOnAFrozenInputIsNotRecorded()
    {
        using var model = new MultiTaskBert(Config(), 3, 5, seed: 11) { GradientCheckpointing = true };
        model.Encoder.Embeddings.Freeze();
        model.Encoder.Encoder.Layers[0].Freeze();
        using var scope = Tensor.Scope();
        var (ids, mask, _, _) = Batch();
        var hidden = model.Forward(ids, mask).LastHiddenState;
        var firstOutput = hidden.GradFn!.Inputs[0]!;
        Assert.False(firstOutput.RequiresGrad);   // no node, so no recomputation for the frozen layer
        Assert.Null(firstOutput.GradFn);
        Assert.Equal("checkpoint(BertLayer)", hidden.GradFn.Name);
    }

    /// <summary>
    /// Two AdamW steps, the second accumulating two backward passes: the losses, every gradient, the dropout offsets, the
    /// final weights. Only the forward passes run in <paramref name="precision"/>'s scope: a recomputation in the backward
    /// must take the precision of the forward it repeats.
    /// </summary>
    static List<(string What, float[] Values)> Train(MultiTaskBert model, MatmulPrecision precision)
    {
        using var scope = Tensor.Scope();
        using var optimizer = new AdamW(model.Parameters(), learningRate: 1e-2);
        var (ids, mask, sentenceLabels, tokenLabels) = Batch();
        var recorded = new List<(string, float[])>();
        for (int step = 1; step <= 2; step++)
        {
            optimizer.ZeroGrad();
            for (int pass = 1; pass <= step; pass++)
            {
                Tensor loss;
                using (MatmulPrecisionMode.Use(precision)) loss = model.Loss(model.Forward(ids, mask), sentenceLabels, tokenLabels).Total;
                loss.Backward();
                recorded.Add(($"loss of pass {pass} at step {step}", loss.ToArray<float>()));
            }
            foreach (var (name, parameter) in model.NamedParameters())
                recorded.Add(($"gradient of {name} at step {step}", parameter.Grad!.ToArray<float>()));
            recorded.Add(($"dropout offsets after step {step}", DropoutOffsets(model)));
            optimizer.Step();
        }
        foreach (var (name, parameter) in model.NamedParameters())
            recorded.Add(($"{name} after 2 steps", parameter.ToArray<float>()));
        return recorded;
    }

    /// <summary>Every dropout layer's offset, as floats (exact below 2²⁴, far above what these steps reach).</summary>
    static float[] DropoutOffsets(Module model) => [.. model.Modules().OfType<Dropout>().Select(d => (float)d.Offset)];

    static (Tensor Ids, Tensor Mask, Tensor SentenceLabels, Tensor TokenLabels) Batch() => (
        Tensor.FromArray(new[] { 2, 5, 6, 7, 3, 0, 2, 9, 8, 14, 21, 3, 2, 4, 3, 0, 0, 0 }, [3, 6]),
        Tensor.FromArray(new float[] { 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, [3, 6]),
        Tensor.FromArray(new[] { 0, 2, 1 }, [3]),
        Tensor.FromArray(new[] { -100, 1, 4, 0, -100, -100, -100, 2, 3, 3, 1, -100, -100, 4, -100, -100, -100, -100 }, [3, 6]));
}
