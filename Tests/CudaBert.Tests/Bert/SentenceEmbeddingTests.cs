using CudaBert.Engine;
using CudaBert.Engine.IO;
using CudaBert.Model;
using CudaBert.Model.Bert;
using CudaBert.Model.Embeddings;
using CudaBert.Tests.Safetensors;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Bert;

/// <summary>
/// The embedding recipe on a tiny random encoder: masked mean of the hidden states, L2 normalisation,
/// padding invariance, and the hidden-states file. (Real weights against ONNX Runtime: the CudaBert.Tests.Parity project.)
/// </summary>
public class SentenceEmbeddingTests
{
    private static SentenceEmbedder TinyEmbedder()
    {
        string[] tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "turn", "on", "the", "lights", "play", "some", "jazz", "in", "kitchen"];
        var config = new BertConfig
        {
            VocabSize = tokens.Length, HiddenSize = 16, NumHiddenLayers = 2, NumAttentionHeads = 4, IntermediateSize = 32,
            MaxPositionEmbeddings = 16, TypeVocabSize = 2,
        };
        return new SentenceEmbedder(new BertModel(config, withPooler: false, seed: 11), new BertTokenizer(new Vocabulary(tokens)));
    }

    [Fact]
    public void L2NormalizationGivesAUnitVectorAndLeavesZeroAlone()
    {
        float[] v = [3, 0, -4];
        L2Normalization.Normalize(v);
        Assert.Equal([0.6f, 0f, -0.8f], v);
        float[] zero = [0, 0];
        L2Normalization.Normalize(zero);
        Assert.Equal([0f, 0f], zero);
    }

    [Fact]
    public void AnEmbeddingIsTheMeanOfItsTokensHiddenStatesAndIgnoresPadding()
    {
        using var embedder = TinyEmbedder();
        string[] texts = ["turn on the lights in the kitchen", "play jazz"];
        var batch = embedder.EmbedBatch(texts, normalize: false);
        int s = batch.SequenceLength, h = batch.HiddenSize;
        Assert.Equal(9, s);
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0, 0], batch.AttentionMask.Skip(s).ToArray());
        for (int row = 0; row < texts.Length; row++)
        {
            int tokens = batch.AttentionMask.Skip(row * s).Take(s).Sum();
            for (int i = 0; i < h; i++)
            {
                double mean = Enumerable.Range(0, tokens).Average(t => (double)batch.LastHiddenState[(row * s + t) * h + i]);
                AssertClose.Scalar(mean, batch.Embeddings[row][i], $"batch.Embeddings[{row}][{i}]", absolute: 1e-6);
            }
        }

        var alone = embedder.EmbedBatch([texts[1]], normalize: false);
        for (int i = 0; i < h; i++) AssertClose.Scalar(alone.Embeddings[0][i], batch.Embeddings[1][i], $"batch.Embeddings[1][{i}]", absolute: 1e-5);
    }

    [Fact]
    public void NormalizedEmbeddingsHaveUnitLength()
    {
        using var embedder = TinyEmbedder();
        foreach (var e in embedder.Embed(["turn on the lights", "play some jazz", "kitchen"], batchSize: 2))
            AssertClose.Scalar(1.0, Math.Sqrt(e.Sum(v => (double)v * v)), "Math.Sqrt(e.Sum(v => (double)v * v))", absolute: 1e-6);
    }

    [Fact]
    public void TheHiddenStatesFileHoldsTheBatchUnderHuggingFaceNames()
    {
        using var embedder = TinyEmbedder();
        using var folder = new TemporaryFolder();
        var batch = embedder.EmbedBatch(["turn on the lights", "jazz"]);
        HiddenStatesFile.Save(folder.File("h.safetensors"), batch);
        using var file = SafetensorsFile.Open(folder.File("h.safetensors"));
        Assert.Equal([2L, batch.SequenceLength, batch.HiddenSize], file.GetInfo(HiddenStatesFile.LastHiddenState).Shape);
        Assert.Equal(batch.LastHiddenState, file.ReadFloat32(HiddenStatesFile.LastHiddenState));
        Assert.Equal(SafetensorsDType.I64, file.GetInfo(HiddenStatesFile.AttentionMask).DType);
        Assert.Equal(batch.AttentionMask, file.ReadInt32(HiddenStatesFile.AttentionMask));
    }

    [Fact]
    public void DropoutActsInTrainingModeOnlyAndReplaysWithTheSameSeed()
    {
        var config = new BertConfig { VocabSize = 20, HiddenSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 16, MaxPositionEmbeddings = 8 };
        using var first = new MultiTaskBert(config, 2, 3, seed: 4);
        using var second = new MultiTaskBert(config, 2, 3, seed: 4);
        using var scope = Tensor.Scope();
        var ids = Tensor.FromArray(new[] { 2, 5, 6, 7, 3 }, [1, 5]);
        double[] trainA = first.Forward(ids).TokenLogits.ToDoubleArray(), trainB = second.Forward(ids).TokenLogits.ToDoubleArray();
        Assert.Equal(trainA, trainB);
        first.Eval();
        double[] evalA = first.Forward(ids).TokenLogits.ToDoubleArray(), evalAgain = first.Forward(ids).TokenLogits.ToDoubleArray();
        Assert.Equal(evalA, evalAgain);
        Assert.NotEqual(trainA, evalA);
    }
}
