using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;
using CudaBert.Tests.Parity.Import;
using CudaBert.Tokenizer;
using Microsoft.ML.OnnxRuntime;

namespace CudaBert.Tests.Parity.Bert;

/// <summary>
/// Our BERT (engine ops, float32, CPU) on the imported all-MiniLM-L6-v2 against ONNX Runtime running
/// the package's own model.onnx, on every SNIPS dev sentence in padded batches of 32. Both sides get
/// the same token ids, so only the model is compared.
/// </summary>
[Collection(MiniLmImportCollection.Name)]
public class MiniLmSnipsParityTests(MiniLmImportFixture fixture, ITestOutputHelper output)
{
    private const int BatchSize = 32;
    private const int ShortestPerBatch = 4;

    /// <summary>
    /// last_hidden_state within 1e-4 of ORT on every non-padding token, and sentence embeddings (mean
    /// pooling + L2 normalisation) at cosine ≥ 0.99999 with the ones derived from ORT's hidden states.
    /// </summary>
    [Fact]
    public void HiddenStatesAndSentenceEmbeddingsMatchOnnxRuntimeOnEverySnipsDevSentence()
    {
        string[] sentences = SnipsDevSentences.Load();
        using var embedder = SentenceEmbedder.FromFolder(fixture.Folder);
        using var session = OpenOnnxRuntime();
        double worstHidden = 0, worstCosine = 1;
        string worstCosineSentence = "";
        for (int start = 0; start < sentences.Length; start += BatchSize)
        {
            var texts = sentences.Skip(start).Take(BatchSize).ToArray();
            var encoded = embedder.Tokenizer.EncodeBatch(texts);
            var ours = embedder.EmbedEncoded(encoded);
            float[] reference = RunOnnxRuntime(session, encoded);
            int s = encoded.SequenceLength, h = ours.HiddenSize;
            for (int row = 0; row < texts.Length; row++)
            {
                var pooled = new double[h];
                int tokens = 0;
                for (int t = 0; t < s; t++)
                {
                    if (encoded.AttentionMask[row * s + t] == 0) continue;
                    tokens++;
                    var want = reference.AsSpan((row * s + t) * h, h);
                    var got = ours.LastHiddenState.AsSpan((row * s + t) * h, h);
                    AssertClose.Elementwise(want, got, $"last_hidden_state of \"{texts[row]}\", token {t} (expected: ONNX Runtime's)", absolute: 1e-4);
                    for (int i = 0; i < h; i++)
                    {
                        double error = Math.Abs(got[i] - want[i]);
                        if (error > worstHidden) worstHidden = error;
                        pooled[i] += want[i];
                    }
                }
                double cosine = Cosine(ours.Embeddings[row], pooled.Select(v => v / tokens).ToArray());
                if (cosine < worstCosine) (worstCosine, worstCosineSentence) = (cosine, texts[row]);
            }
        }
        output.WriteLine($"{sentences.Length} sentences: max |ours - ORT| on non-padding tokens {worstHidden:E3}, min embedding cosine {worstCosine:F9}");
        Assert.True(worstCosine >= 0.99999, $"sentence embedding cosine with ONNX Runtime's is {worstCosine:F7} on \"{worstCosineSentence}\"");
    }

    /// <summary>
    /// A sentence alone gives the embedding it gets inside its padded batch of 32 (within 1e-5 per
    /// component): padding after it changes nothing. Checked on the <see cref="ShortestPerBatch"/>
    /// shortest sentences of every batch, those with the most padding in the batch.
    /// </summary>
    [Fact]
    public void ASentenceEmbeddingDoesNotChangeWhenBatchedWithLongerSentences()
    {
        string[] sentences = SnipsDevSentences.Load();
        using var embedder = SentenceEmbedder.FromFolder(fixture.Folder);
        double worst = 0;
        int checkedSentences = 0, mostPadding = 0;
        for (int start = 0; start < sentences.Length; start += BatchSize)
        {
            var texts = sentences.Skip(start).Take(BatchSize).ToArray();
            var batch = embedder.EmbedBatch(texts);
            var lengths = Enumerable.Range(0, texts.Length).Select(row => batch.AttentionMask.Skip(row * batch.SequenceLength).Take(batch.SequenceLength).Sum()).ToArray();
            foreach (int row in Enumerable.Range(0, texts.Length).OrderBy(row => lengths[row]).Take(ShortestPerBatch))
            {
                var alone = embedder.EmbedBatch([texts[row]]);
                Assert.Equal(lengths[row], alone.SequenceLength);
                mostPadding = Math.Max(mostPadding, batch.SequenceLength - lengths[row]);
                checkedSentences++;
                AssertClose.Elementwise(batch.Embeddings[row], alone.Embeddings[0], $"embedding of \"{texts[row]}\" alone (expected: in its padded batch)", absolute: 1e-5);
                worst = Math.Max(worst, alone.Embeddings[0].Zip(batch.Embeddings[row], (a, b) => Math.Abs(a - b)).Max());
            }
        }
        output.WriteLine($"{checkedSentences} sentences (up to {mostPadding} padding tokens in their batch): max |alone - batched| {worst:E3}");
    }

    private InferenceSession OpenOnnxRuntime()
    {
        using var resources = new ManifestResourceReader(fixture.PackageAssemblyPath);
        return new InferenceSession(resources.Read(resources.FindBySuffix("model.onnx")));
    }

    /// <summary>ORT's last_hidden_state [B, S, H] for the same ids, mask and token types.</summary>
    private static float[] RunOnnxRuntime(InferenceSession session, BatchEncoding batch)
    {
        long[] shape = [batch.BatchSize, batch.SequenceLength];
        using var ids = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(batch.InputIds, v => (long)v), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(batch.AttentionMask, v => (long)v), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(Array.ConvertAll(batch.TypeIds, v => (long)v), shape);
        var inputs = new Dictionary<string, OrtValue> { ["input_ids"] = ids, ["attention_mask"] = mask, ["token_type_ids"] = types };
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, inputs, ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static double Cosine(float[] a, double[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }
}
