using CudaBert.Engine;
using CudaBert.Engine.Autograd;
using CudaBert.Engine.Nn;
using CudaBert.Model.Bert;
using CudaBert.Model.Import;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Embeddings;

/// <summary>
/// Sentence embeddings the sentence-transformers way: tokenize, run the BERT encoder, average the
/// last hidden states over the real tokens (masked mean pooling), and optionally L2-normalise.
/// </summary>
public sealed class SentenceEmbedder : IDisposable
{
    /// <summary>An embedder over an encoder already loaded; puts it in evaluation mode (no dropout) and takes ownership of it.</summary>
    /// <param name="encoder">The BERT encoder; disposed with this embedder.</param>
    /// <param name="tokenizer">The encoder's tokenizer; its truncation sets the longest input in tokens.</param>
    public SentenceEmbedder(BertModel encoder, BertTokenizer tokenizer)
    {
        Encoder = encoder;
        Tokenizer = tokenizer;
        encoder.Eval();
    }

    /// <summary>The encoder that computes the hidden states (in evaluation mode).</summary>
    public BertModel Encoder { get; }
    /// <summary>Turns texts into token ids, with the truncation and padding the embedder uses.</summary>
    public BertTokenizer Tokenizer { get; }

    /// <summary>
    /// Loads a Hugging Face folder: <c>config.json</c>, <c>model.safetensors</c>, and <c>tokenizer.json</c>
    /// (or else <c>vocab.txt</c>, uncased). Texts are truncated to <paramref name="maxLength"/> tokens
    /// ([CLS] and [SEP] included), at most max_position_embeddings.
    /// </summary>
    /// <param name="folder">The Hugging Face model folder.</param>
    /// <param name="device">Where the encoder's weights go (and every batch is embedded).</param>
    /// <param name="maxLength">Tokens per text; null: as many as the model has positions.</param>
    public static SentenceEmbedder FromFolder(string folder, Device device = Device.Cpu, int? maxLength = null)
    {
        if (maxLength is < 3) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "room for [CLS], a token and [SEP] is needed");
        folder = Training.RunCheckpoints.Resolve(folder);   // a training run folder means its newest checkpoint
        var loaded = HuggingFaceModelFolder.LoadTokenizer(folder);   // first: a folder without one fails before the weights are read
        var encoder = BertModel.FromPretrained(folder, withPooler: false).To(device);   // mean pooling needs no [CLS] pooler
        var tokenizer = new BertTokenizer(loaded.Vocabulary, loaded.Options)
        {
            Truncation = new TruncationOptions(Math.Min(maxLength ?? int.MaxValue, encoder.Config.MaxPositionEmbeddings)),
        };
        var embedder = new SentenceEmbedder(encoder, tokenizer);
        embedder.UseCudaGraphs(CudaGraphSteps.Auto);
        return embedder;
    }

    /// <summary>The encoder's forward pass and pooling as CUDA graphs, one per batch shape (<see cref="UseCudaGraphs"/>); null when they run eagerly.</summary>
    public CudaGraphForward? CudaGraphs { get; private set; }

    /// <summary>
    /// Runs the batches as CUDA graphs in <paramref name="mode"/> (<see cref="CudaGraphSteps.Modes"/>; <c>auto</c> from
    /// <see cref="FromFolder"/>, eager from the constructor): <c>on</c> fails here for an encoder on the CPU.
    /// </summary>
    public void UseCudaGraphs(string mode)
    {
        CudaGraphs?.Dispose();
        CudaGraphs = CudaGraphForward.Resolve(mode, Encoder.DeviceOf(), HiddenAndPooled, out _);
    }

    /// <summary>The last hidden states [B, S, H] and their masked mean [B, H] of the batch (input ids, float attention mask, token type ids).</summary>
    Tensor[] HiddenAndPooled(IReadOnlyList<Tensor> inputs)
    {
        var hidden = Encoder.Forward(inputs[0], inputs[1], inputs[2]).LastHiddenState;
        return [hidden, Ops.MaskedMeanPool(hidden, inputs[1])];
    }

    /// <summary>Positions (0-based) of the texts longer than the tokenizer's truncation length: only their beginning is embedded.</summary>
    public IReadOnlyList<int> Truncated(IReadOnlyList<string> texts)
    {
        if (Tokenizer.Truncation is not { } truncation) return [];
        var whole = new BertTokenizer(Tokenizer.Vocabulary, Tokenizer.Options);
        return Enumerable.Range(0, texts.Count).Where(i => whole.Encode(texts[i]).Length > truncation.MaxLength).ToList();
    }

    /// <summary>Embeddings of <paramref name="texts"/>, in order, computed <paramref name="batchSize"/> texts at a time.</summary>
    public float[][] Embed(IReadOnlyList<string> texts, bool normalize = true, int batchSize = 32)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new List<float[]>(texts.Count);
        for (int start = 0; start < texts.Count; start += batchSize)
            result.AddRange(Run(Tokenizer.EncodeBatch(texts.Skip(start).Take(batchSize).ToList()), normalize, keepHiddenStates: false).Embeddings);
        return [.. result];
    }

    /// <summary>One batch, padded to its longest text; also returns the hidden states and the mask.</summary>
    public SentenceEmbeddingBatch EmbedBatch(IReadOnlyList<string> texts, bool normalize = true) =>
        EmbedEncoded(Tokenizer.EncodeBatch(texts), normalize);

    /// <summary>Embeds an already tokenized batch on the device of the encoder's parameters.</summary>
    public SentenceEmbeddingBatch EmbedEncoded(BatchEncoding batch, bool normalize = true) => Run(batch, normalize, keepHiddenStates: true);

    // keepHiddenStates: false leaves LastHiddenState empty, so that Embed, which only returns the
    // pooled vectors, does not copy [B, S, H] floats off the device for every batch.
    private SentenceEmbeddingBatch Run(BatchEncoding batch, bool normalize, bool keepHiddenStates)
    {
        int b = batch.BatchSize, s = batch.SequenceLength, h = Encoder.Config.HiddenSize;
        if (b == 0) return new SentenceEmbeddingBatch([], [], [], 0, s, h);
        using var noGrad = GradMode.NoGrad();
        using var scope = Tensor.Scope();
        var device = Encoder.DeviceOf();
        var ids = Tensor.FromArray(batch.InputIds, [b, s], device);
        // A float mask: the CUDA pooling kernel reads Float32 (the CPU takes either).
        var mask = Tensor.FromArray(Array.ConvertAll(batch.AttentionMask, m => (float)m), [b, s], device: device);
        var types = Tensor.FromArray(batch.TypeIds, [b, s], device);
        var outputs = CudaGraphs?.TryRun([ids, mask, types]) ?? HiddenAndPooled([ids, mask, types]);
        var hidden = outputs[0];
        float[] pooled = outputs[1].ToFloatArray();
        var embeddings = new float[b][];
        for (int row = 0; row < b; row++)
        {
            embeddings[row] = pooled.AsSpan(row * h, h).ToArray();
            if (normalize) L2Normalization.Normalize(embeddings[row]);
        }
        return new SentenceEmbeddingBatch(embeddings, keepHiddenStates ? hidden.ToFloatArray() : [], batch.AttentionMask, b, s, h);
    }

    /// <summary>Frees the CUDA graphs and the encoder's parameters (and their device memory).</summary>
    public void Dispose()
    {
        CudaGraphs?.Dispose();
        Encoder.Dispose();
    }
}
