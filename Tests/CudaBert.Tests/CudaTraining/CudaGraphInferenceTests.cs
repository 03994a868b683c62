using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Kernels.Device;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Embeddings;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;
using CudaBert.Tests.CudaBackendTests;

namespace CudaBert.Tests.CudaTraining;

/// <summary>
/// The inference forward pass as CUDA graphs (<see cref="CudaGraphForward"/>) on the test device: the logits of
/// <see cref="MultiTaskBert"/> and the embeddings of <see cref="SentenceEmbedder"/> equal the eager pass's bit for bit,
/// one capture per batch shape and replays after it, and the fallbacks with their reason.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class CudaGraphInferenceTests(CudaTestDevice device)
{
    /// <summary>
    /// Five batches of two shapes, (3, S) and (2, S'): the same examples in turned orders, so each replay reads
    /// other values than the capture did (a replay that ignored its new inputs would repeat the captured logits).
    /// </summary>
    static int[][] Batches => [[0, 1, 2], [3, 4], [2, 0, 1], [4, 3], [1, 2, 0]];

    [Fact]
    public void GraphLogitsEqualTheEagerPassesBitForBitAcrossTwoShapes()
    {
        using var setup = new TinyTwoTaskSetup();
        using var model = setup.NewModel().To(Device.Cuda);
        model.Eval();
        using var graphs = TwoTaskPredictor.CudaGraphs(model, CudaGraphSteps.On, out string? reason);
        Assert.NotNull(graphs);
        Assert.Null(reason);
        using var noGrad = GradMode.NoGrad();
        foreach (var indices in Batches)
        {
            using var scope = Tensor.Scope();
            using var batch = setup.Collator.Collate(indices.Select(i => setup.Train[i] with { SentenceLabel = null, Tags = null }).ToArray(), Device.Cuda);
            var eager = model.Forward(batch.InputIds, batch.AttentionMask, batch.TokenTypeIds);
            var graphed = graphs.TryRun([batch.InputIds, batch.AttentionMask, batch.TokenTypeIds]);
            Assert.NotNull(graphed);
            Assert.Equal(eager.SentenceLogits.ToArray<float>(), graphed[0].ToArray<float>());
            Assert.Equal(eager.TokenLogits.ToArray<float>(), graphed[1].ToArray<float>());
        }
        Assert.Equal((2, 3), (graphs.Captures, graphs.Replays));
        Assert.Null(graphs.EagerBecause);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void PredictionsWithGraphsEqualTheEagerOnes()
    {
        using var setup = new TinyTwoTaskSetup();
        using var model = setup.NewModel().To(Device.Cuda);
        using var graphs = TwoTaskPredictor.CudaGraphs(model, CudaGraphSteps.On, out _);
        // Batches of 3, the same 3 reversed (a replay) and 2.
        var examples = setup.Train.Take(3).Concat(setup.Train.Take(3).Reverse()).Concat(setup.Train.Skip(3).Take(2)).ToArray();
        var eager = TwoTaskPredictor.Predict(model, setup.Collator, examples, batchSize: 3);
        var graphed = TwoTaskPredictor.Predict(model, setup.Collator, examples, batchSize: 3, graphs: graphs);
        Assert.Equal(eager.Select(p => (p.SentenceLabel, p.SentenceProbability, string.Join(" ", p.WordTags))),
            graphed.Select(p => (p.SentenceLabel, p.SentenceProbability, string.Join(" ", p.WordTags))));
        Assert.Equal((2, 1), (graphs!.Captures, graphs.Replays));
    }

    [Fact]
    public void Bf16PredictionsWithGraphsEqualTheEagerOnesAndDifferFromFp32()
    {
        using var setup = new TinyTwoTaskSetup();
        using var model = setup.NewModel().To(Device.Cuda);
        var examples = setup.Train.Take(3).Concat(setup.Train.Take(3).Reverse()).ToArray();
        var fp32 = TwoTaskPredictor.Predict(model, setup.Collator, examples, batchSize: 3);
        using var graphs = TwoTaskPredictor.CudaGraphs(model, CudaGraphSteps.On, out _);
        List<TwoTaskPrediction> graphed, eager;
        using (MatmulPrecisionMode.Use(MatmulPrecision.Bf16))
        {
            // The graphs first: the capture is the first bf16 pass, so it also makes each weight's bfloat16 copy.
            graphed = TwoTaskPredictor.Predict(model, setup.Collator, examples, batchSize: 3, graphs: graphs);
            eager = TwoTaskPredictor.Predict(model, setup.Collator, examples, batchSize: 3);
        }
        Assert.Equal(eager.Select(p => p.SentenceProbability), graphed.Select(p => p.SentenceProbability));
        Assert.NotEqual(fp32.Select(p => p.SentenceProbability), eager.Select(p => p.SentenceProbability));
        Assert.Equal((1, 1), (graphs!.Captures, graphs.Replays));
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void GraphEmbeddingsAndHiddenStatesEqualTheEagerOnesBitForBit()
    {
        using var setup = new TinyTwoTaskSetup();
        string[] texts = setup.Train.Select(e => e.Text).ToArray();
        using var embedder = new SentenceEmbedder(new BertModel(setup.Config, withPooler: false, seed: 3).To(Device.Cuda), setup.Collator.Tokenizer);
        Assert.Null(embedder.CudaGraphs);   // the constructor leaves the passes eager
        var eager = Batches.Select(b => embedder.EmbedBatch(b.Select(i => texts[i]).ToArray())).ToArray();
        embedder.UseCudaGraphs(CudaGraphSteps.On);
        var graphed = Batches.Select(b => embedder.EmbedBatch(b.Select(i => texts[i]).ToArray())).ToArray();
        for (int i = 0; i < eager.Length; i++)
        {
            Assert.Equal(eager[i].LastHiddenState, graphed[i].LastHiddenState);
            for (int row = 0; row < eager[i].Embeddings.Length; row++)
                Assert.Equal(eager[i].Embeddings[row], graphed[i].Embeddings[row]);
        }
        Assert.Equal((2, 3), (embedder.CudaGraphs!.Captures, embedder.CudaGraphs.Replays));
    }

    [Fact]
    public void EachFallbackSaysWhy()
    {
        static Tensor[] Double(IReadOnlyList<Tensor> inputs) => [Ops.Add(inputs[0], inputs[0])];
        Assert.Null(CudaGraphForward.Resolve(CudaGraphSteps.Off, Device.Cuda, Double, out string? off));
        Assert.Equal("turned off (cuda-graphs off)", off);
        Assert.Null(CudaGraphForward.Resolve(CudaGraphSteps.Auto, Device.Cpu, Double, out string? cpu));
        Assert.Equal("the model is on the CPU", cpu);
        var on = Assert.Throws<ArgumentException>(() => CudaGraphForward.Resolve(CudaGraphSteps.On, Device.Cpu, Double, out _));
        Assert.Equal("option cuda-graphs: on, but the forward pass cannot be captured: the model is on the CPU", on.Message);
    }

    [Fact]
    public void AFailedCaptureTurnsAutoEagerWithItsReasonAndFailsOn()
    {
        // A pass that reads device memory on the host cannot be captured.
        static Tensor[] ReadsTheHost(IReadOnlyList<Tensor> inputs) => [Tensor.FromArray([(float)inputs[0].Item()], new Shape(1), device: Device.Cuda)];
        using var x = Tensor.FromArray([2f], new Shape(1), device: Device.Cuda);

        using var auto = CudaGraphForward.Resolve(CudaGraphSteps.Auto, Device.Cuda, ReadsTheHost, out _)!;
        Assert.Null(auto.TryRun([x]));
        Assert.StartsWith("capturing the forward pass failed, so it runs eagerly from now on: ", auto.EagerBecause);
        Assert.Contains("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED", auto.EagerBecause);
        Assert.Null(auto.TryRun([x]));   // no second try
        Assert.Equal(0, auto.Captures);

        using var on = CudaGraphForward.Resolve(CudaGraphSteps.On, Device.Cuda, ReadsTheHost, out _)!;
        var error = Assert.Throws<InvalidOperationException>(() => on.TryRun([x]));
        Assert.IsType<CudaException>(error.InnerException);
        Assert.False(device.Backend.IsCapturing);
        Assert.Equal(2.0, x.Item());
    }
}
