using CudaBert.Engine;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Tokenizer;

namespace CudaBert.Model.Training;

/// <summary>
/// Turns examples into a <see cref="TwoTaskBatch"/>: tokenizes each example's words (truncated to
/// <see cref="MaxLength"/> tokens including [CLS] and [SEP]), aligns word tags to tokens (the label
/// on a word's first sub-token, −100 on the others and on specials) and pads to the longest
/// encoding of the batch.
/// </summary>
public sealed class BatchCollator
{
    readonly BertTokenizer _tokenizer;

    /// <summary>A collator with its own copy of <paramref name="tokenizer"/>, set to truncate at <paramref name="maxLength"/> tokens.</summary>
    /// <param name="tokenizer">The encoder's tokenizer (vocabulary and options are copied; the original is not changed).</param>
    /// <param name="sentenceLabels">Maps sentence labels to the ids of the sentence head's outputs.</param>
    /// <param name="tokenLabels">Maps tags to the ids of the token head's outputs.</param>
    /// <param name="maxLength">Tokens per example, [CLS] and [SEP] included; at least 3.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxLength"/> is below 3.</exception>
    public BatchCollator(BertTokenizer tokenizer, LabelSet sentenceLabels, LabelSet tokenLabels, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 3);
        _tokenizer = new BertTokenizer(tokenizer.Vocabulary, tokenizer.Options) { Truncation = new TruncationOptions(maxLength) };
        SentenceLabels = sentenceLabels;
        TokenLabels = tokenLabels;
        MaxLength = maxLength;
    }

    /// <summary>Sentence label ↔ id, in the sentence head's output order.</summary>
    public LabelSet SentenceLabels { get; }
    /// <summary>Tag ↔ id, in the token head's output order.</summary>
    public LabelSet TokenLabels { get; }
    /// <summary>Tokens per example after truncation, [CLS] and [SEP] included.</summary>
    public int MaxLength { get; }
    /// <summary>The collator's tokenizer, truncating at <see cref="MaxLength"/>.</summary>
    public BertTokenizer Tokenizer => _tokenizer;

    /// <summary>
    /// Checks, once for a model, that every id this collator makes has a row in the model's embedding
    /// tables: token ids come from the vocabulary (ids below its size, which must not exceed
    /// <c>vocab_size</c>) and positions from 0 to <see cref="MaxLength"/> − 1 (which must not exceed
    /// <c>max_position_embeddings</c>). The CUDA backend does not check ids as it looks them up (that would
    /// make each lookup wait for the GPU), so this is where a mismatch is caught.
    /// </summary>
    /// <exception cref="ArgumentException">The vocabulary or <see cref="MaxLength"/> is larger than the model's table.</exception>
    public void EnsureIdsFit(BertConfig config)
    {
        if (_tokenizer.Vocabulary.Count > config.VocabSize)
            throw new ArgumentException($"the tokenizer has {_tokenizer.Vocabulary.Count} tokens but the model's vocab_size is {config.VocabSize}: ids past it have no embedding");
        if (MaxLength > config.MaxPositionEmbeddings)
            throw new ArgumentException($"option max-length {MaxLength} exceeds the model's max_position_embeddings {config.MaxPositionEmbeddings}");
    }

    /// <summary>Number of tokens an example encodes to (for length bucketing).</summary>
    public int TokenCount(TwoTaskExample example) => _tokenizer.EncodeWords(example.Words).Length;

    /// <summary>
    /// The batch's tensors are created on <paramref name="device"/> and owned by the caller (not by any
    /// scope). Labels are Int64 on the CPU (PyTorch's dtype for class indices) and Int32 on CUDA, the
    /// only index dtype our kernels read (<see cref="LabelDType"/>).
    /// </summary>
    public TwoTaskBatch Collate(IReadOnlyList<TwoTaskExample> examples, Device device = Device.Cpu)
    {
        if (examples.Count == 0) throw new ArgumentException("cannot collate an empty batch", nameof(examples));
        var encodings = examples.Select(e => _tokenizer.EncodeWords(e.Words)).ToArray();
        int batch = examples.Count, seq = encodings.Max(e => e.Length);

        var ids = new int[batch * seq];
        var types = new int[batch * seq];
        var mask = new float[batch * seq];
        bool anySentence = examples.Any(e => e.HasSentenceLabel), anyTags = examples.Any(e => e.HasTags);
        var sentence = anySentence ? new long[batch] : null;
        var tags = anyTags ? new long[batch * seq] : null;
        if (tags is not null) Array.Fill(tags, TokenClassification.IgnoreIndex);

        for (int b = 0; b < batch; b++)
        {
            var (example, encoding) = (examples[b], encodings[b]);
            int row = b * seq;
            encoding.Ids.CopyTo(ids, row);
            encoding.TypeIds.CopyTo(types, row);
            for (int s = 0; s < encoding.Length; s++) mask[row + s] = encoding.AttentionMask[s];
            // Padding positions keep id 0 ([PAD] in BERT vocabularies), type 0 and mask 0.
            if (sentence is not null)
                sentence[b] = example.SentenceLabel is null
                    ? TokenClassification.IgnoreIndex
                    : SentenceLabels.IdOf(example.SentenceLabel, $"{example.Source}:{example.Line}");
            if (tags is not null && example.Tags is not null)
            {
                var wordLabels = example.Tags.Select(t => TokenLabels.IdOf(t, $"{example.Source}:{example.Line}")).ToArray();
                var aligned = TokenClassification.AlignLabels(encoding, wordLabels);
                for (int s = 0; s < aligned.Length; s++) tags[row + s] = aligned[s];
            }
        }

        // Tags of words that got no token (truncated, or made only of dropped characters) align to
        // nothing: a batch whose tags all vanished has no token loss, exactly like one without tags.
        if (tags is not null && Array.TrueForAll(tags, t => t == TokenClassification.IgnoreIndex)) tags = null;

        // The batch, not the current scope, owns its tensors (Keep takes them out of any scope).
        return new TwoTaskBatch
        {
            Examples = examples,
            Encodings = encodings,
            InputIds = Tensor.FromArray(ids, [batch, seq], device).Keep(),
            TokenTypeIds = Tensor.FromArray(types, [batch, seq], device).Keep(),
            AttentionMask = Tensor.FromArray(mask, [batch, seq], device: device).Keep(),
            SentenceLabels = sentence is null ? null : Indices(sentence, [batch], device).Keep(),
            TokenLabels = tags is null ? null : Indices(tags, [batch, seq], device).Keep(),
            WordTags = tags is null ? null : WordTags(tags, batch, seq, device),
        };
    }

    /// <summary>
    /// The CRF's view of the aligned tags: per row with at least one tagged token, the flat [B·S]
    /// positions of its tagged tokens (each word's first sub-token, in word order) and their tags,
    /// padded with position 0 and −100 to the longest row.
    /// </summary>
    static WordTagTargets WordTags(long[] tags, int batch, int seq, Device device)
    {
        var rows = new List<(long[] Positions, long[] Tags)>();
        for (int b = 0; b < batch; b++)
        {
            var positions = Enumerable.Range(b * seq, seq).Where(i => tags[i] != TokenClassification.IgnoreIndex).Select(i => (long)i).ToArray();
            if (positions.Length > 0) rows.Add((positions, positions.Select(i => tags[i]).ToArray()));
        }
        int words = rows.Max(r => r.Positions.Length);
        var firstTokens = new long[rows.Count * words];
        var wordTags = new long[rows.Count * words];
        Array.Fill(wordTags, TokenClassification.IgnoreIndex);
        for (int n = 0; n < rows.Count; n++)
        {
            rows[n].Positions.CopyTo(firstTokens, n * words);
            rows[n].Tags.CopyTo(wordTags, n * words);
        }
        return new WordTagTargets(Indices(firstTokens, [rows.Count, words], device).Keep(), Indices(wordTags, [rows.Count, words], device).Keep());
    }

    static Tensor Indices(long[] values, Shape shape, Device device) => LabelDType(device) == DType.Int64
        ? Tensor.FromArray(values, shape, device)
        : Tensor.FromArray(Array.ConvertAll(values, v => (int)v), shape, device);

    /// <summary>The dtype of label tensors on <paramref name="device"/>: Int32 on CUDA, Int64 on the CPU.</summary>
    public static DType LabelDType(Device device) => device == Device.Cuda ? DType.Int32 : DType.Int64;
}
