namespace CudaBert.Tokenizer;

/// <summary>
/// A BERT WordPiece tokenizer that produces exactly what Hugging Face's fast tokenizer produces
/// for the same vocabulary and settings: ids, type ids, masks, word ids, offsets (UTF-16),
/// truncation, padding, batches, decoding. Thread-safe. Never throws on any string; the only
/// input-dependent error is Hugging Face's: <see cref="TruncationStrategy.OnlyFirst"/> or
/// <see cref="TruncationStrategy.OnlySecond"/> truncation that the chosen text is too short for.
/// </summary>
public sealed class BertTokenizer
{
    readonly SequenceTokenizer sequenceTokenizer;
    readonly HashSet<int> specialIds;
    readonly int clsId, sepId, padId;

    [ThreadStatic] static TokenList? threadFirst, threadSecond;

    /// <summary>
    /// A tokenizer over <paramref name="vocabulary"/> with <paramref name="options"/> (null: <see cref="BertTokenizerOptions.Uncased"/>).
    /// Throws <see cref="TokenizerFormatException"/> when a special token of the options (classifier, separator,
    /// padding or another) is not in the vocabulary.
    /// </summary>
    public BertTokenizer(Vocabulary vocabulary, BertTokenizerOptions? options = null)
    {
        Vocabulary = vocabulary;
        Options = options ?? BertTokenizerOptions.Uncased;
        clsId = vocabulary.RequireId(Options.ClassifierToken, "classifier token");
        sepId = vocabulary.RequireId(Options.SeparatorToken, "separator token");
        padId = vocabulary.RequireId(Options.PaddingToken, "padding token");
        var specials = Options.SpecialTokens.Select(t => (t, vocabulary.RequireId(t, "special token"))).ToArray();
        specialIds = [.. specials.Select(s => s.Item2)];
        sequenceTokenizer = new SequenceTokenizer(new CharacterNormalizer(Options), new SpecialTokenMatcher(specials), new WordPiece(vocabulary, Options));
    }

    /// <summary>Loads <c>vocab.txt</c> with the given settings (default: uncased).</summary>
    public static BertTokenizer FromVocabFile(string path, BertTokenizerOptions? options = null) => new(Vocabulary.ReadFile(path), options);

    /// <summary>Loads a Hugging Face <c>tokenizer.json</c> (see <see cref="TokenizerJson"/> for what is supported).</summary>
    public static BertTokenizer FromTokenizerJson(string path) => TokenizerJson.Load(path);

    /// <summary>The WordPiece vocabulary: token strings and their ids.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The settings in use: text normalisation (cleaning, lower-casing, accents, CJK), WordPiece limits and the special tokens.</summary>
    public BertTokenizerOptions Options { get; }

    /// <summary>Truncation applied by <see cref="Encode(string, string?)"/> and the batch methods; <c>null</c>: none.</summary>
    public TruncationOptions? Truncation { get; init; }

    /// <summary>Padding applied by the batch methods and by <see cref="Encode(string, string?)"/> (which pads to <see cref="PaddingOptions.Length"/> or a multiple); <c>null</c>: none.</summary>
    public PaddingOptions? Padding { get; init; }

    /// <summary>Encodes a text, or a pair of texts, with [CLS] and [SEP] added.</summary>
    public TokenEncoding Encode(string text, string? pair = null)
    {
        var encoding = EncodeUnpadded(text, pair);
        return Padding is null ? encoding : Pad(encoding, PaddedLength(encoding.Length, Padding), Padding);
    }

    /// <summary>
    /// Encodes text already split into words (Hugging Face's <c>is_split_into_words</c>): the words are
    /// joined with single spaces and encoded, and each token's word id is the index of the input word
    /// it came from. Offsets index the joined text (Hugging Face's index each word instead).
    /// </summary>
    public TokenEncoding EncodeWords(IReadOnlyList<string> words)
    {
        string text = string.Join(' ', words);
        var encoding = Encode(text);
        var wordStarts = new int[words.Count];
        for (int w = 1; w < words.Count; w++) wordStarts[w] = wordStarts[w - 1] + words[w - 1].Length + 1;
        var wordIds = encoding.WordIds;
        for (int i = 0; i < encoding.Length; i++)
        {
            if (wordIds[i] == TokenEncoding.None) continue;
            int at = Array.BinarySearch(wordStarts, encoding.Offsets[i].Start);
            wordIds[i] = at >= 0 ? at : ~at - 1;
        }
        return encoding;
    }

    /// <summary>Encodes many texts (in parallel) and pads them as <see cref="Padding"/> says.</summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<string> texts) =>
        EncodeBatch(texts.Count, i => (texts[i], null));

    /// <summary>Encodes many pairs of texts (in parallel) and pads them as <see cref="Padding"/> says.</summary>
    public BatchEncoding EncodeBatch(IReadOnlyList<(string First, string? Second)> pairs) =>
        EncodeBatch(pairs.Count, i => pairs[i]);

    BatchEncoding EncodeBatch(int count, Func<int, (string First, string? Second)> input)
    {
        var encodings = new TokenEncoding[count];
        Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = count < 64 ? 1 : -1 }, i =>
        {
            var (first, second) = input(i);
            encodings[i] = EncodeUnpadded(first, second);
        });
        if (Padding is { } padding)
        {
            int target = PaddedLength(encodings.Length == 0 ? 0 : encodings.Max(e => e.Length), padding);
            for (int i = 0; i < count; i++) encodings[i] = Pad(encodings[i], target, padding);
        }
        return new BatchEncoding(encodings, padId);
    }

    TokenEncoding EncodeUnpadded(string text, string? pair)
    {
        var first = threadFirst ??= new TokenList();
        first.Clear();
        sequenceTokenizer.Tokenize(text, first);
        TokenList? second = null;
        if (pair is not null)
        {
            second = threadSecond ??= new TokenList();
            second.Clear();
            sequenceTokenizer.Tokenize(pair, second);
        }
        var (firstKeep, secondKeep) = TruncatedRanges(first.Count, second?.Count, Truncation);
        var encoding = PostProcess(first, firstKeep, second, secondKeep);
        DropHugeBuffers();
        return encoding;
    }

    static void DropHugeBuffers()
    {
        if (threadFirst?.Capacity > SequenceTokenizer.MaxRetainedCapacity) threadFirst = null;
        if (threadSecond?.Capacity > SequenceTokenizer.MaxRetainedCapacity) threadSecond = null;
    }

    /// <summary>
    /// Only the vocabulary ids of a text, [CLS] and [SEP] included, written into <paramref name="ids"/>;
    /// returns how many were written (at most <c>ids.Length</c>: longer encodings are cut on the right,
    /// keeping the final [SEP]; 0 when there is no room for [CLS] and [SEP]). Allocates nothing:
    /// this is the hot path for inference.
    /// </summary>
    public int EncodeIds(ReadOnlySpan<char> text, Span<int> ids)
    {
        if (ids.Length < 2) return 0;
        var tokens = threadFirst ??= new TokenList();
        tokens.Clear();
        sequenceTokenizer.Tokenize(text, tokens);
        int n = Math.Min(tokens.Count, ids.Length - 2);
        ids[0] = clsId;
        tokens.Ids[..n].CopyTo(ids[1..]);
        ids[n + 1] = sepId;
        DropHugeBuffers();
        return n + 2;
    }

    /// <summary>
    /// The tensor-friendly batch path: writes row-major <c>[texts.Count, sequenceLength]</c> ids and
    /// attention mask, each row as <see cref="EncodeIds"/> writes it (cut on the right keeping [SEP])
    /// and padded with the padding id and attention 0. Rows are encoded in parallel; nothing is
    /// allocated per token.
    /// </summary>
    public void EncodeBatchIds(IReadOnlyList<string> texts, Memory<int> inputIds, Memory<int> attentionMask, int sequenceLength)
    {
        if (sequenceLength < 2) throw new ArgumentOutOfRangeException(nameof(sequenceLength), sequenceLength, "Room for [CLS] and [SEP] is needed.");
        long cells = (long)texts.Count * sequenceLength;
        if (inputIds.Length < cells || attentionMask.Length < cells)
            throw new ArgumentException($"{texts.Count} texts × {sequenceLength} tokens need {cells} ids and mask values; got {inputIds.Length} and {attentionMask.Length}.");
        Parallel.For(0, texts.Count, new ParallelOptions { MaxDegreeOfParallelism = texts.Count < 64 ? 1 : -1 }, row =>
        {
            var ids = inputIds.Span.Slice(row * sequenceLength, sequenceLength);
            var mask = attentionMask.Span.Slice(row * sequenceLength, sequenceLength);
            int n = EncodeIds(texts[row], ids);
            ids[n..].Fill(padId);
            mask[..n].Fill(1);
            mask[n..].Clear();
        });
    }

    /// <summary>Which tokens of each text survive truncation, as Hugging Face's <c>truncate_encodings</c> decides.</summary>
    static (Range First, Range Second) TruncatedRanges(int first, int? second, TruncationOptions? truncation)
    {
        int secondCount = second ?? 0;
        if (truncation is null) return (.., ..);
        int budget = Math.Max(0, truncation.MaxLength - (second is null ? 2 : 3)); // minus [CLS], [SEP] (, [SEP])
        int keepFirst = first, keepSecond = secondCount;
        if (first + secondCount > budget)
        {
            int remove = first + secondCount - budget;
            switch (truncation.Strategy)
            {
                case TruncationStrategy.LongestFirst when second is null:
                    keepFirst = budget;
                    break;
                case TruncationStrategy.LongestFirst:
                    // The shorter text keeps what it can up to half; the longer one takes the rest.
                    int shorter = Math.Min(first, secondCount), longer;
                    longer = shorter > budget ? shorter : Math.Max(shorter, budget - shorter);
                    if (shorter + longer > budget)
                    {
                        shorter = budget / 2;
                        longer = shorter + budget % 2;
                    }
                    (keepFirst, keepSecond) = first > secondCount ? (longer, shorter) : (shorter, longer);
                    break;
                case TruncationStrategy.OnlyFirst:
                case TruncationStrategy.OnlySecond:
                    bool onFirst = truncation.Strategy == TruncationStrategy.OnlyFirst;
                    if (!onFirst && second is null)
                        throw new ArgumentException("Truncation strategy OnlySecond needs a pair of texts.", nameof(truncation));
                    int target = onFirst ? first : secondCount;
                    if (target <= remove)
                        throw new ArgumentException($"Truncation to {truncation.MaxLength} tokens with {truncation.Strategy}: the {(onFirst ? "first" : "second")} text has only {target} tokens, {remove} would have to go.", nameof(truncation));
                    if (onFirst) keepFirst = target - remove;
                    else keepSecond = target - remove;
                    break;
            }
        }
        return (Keep(first, keepFirst, truncation.Side), Keep(secondCount, keepSecond, truncation.Side));

        static Range Keep(int count, int keep, Side side) =>
            keep >= count ? .. : side == Side.Right ? ..keep : (count - keep)..;
    }

    /// <summary>BERT's template: [CLS] A [SEP] for one text, [CLS] A [SEP] B [SEP] for a pair (B and its [SEP] with type id 1).</summary>
    TokenEncoding PostProcess(TokenList first, Range firstKeep, TokenList? second, Range secondKeep)
    {
        var (aFrom, aCount) = firstKeep.GetOffsetAndLength(first.Count);
        var (bFrom, bCount) = second is null ? (0, 0) : secondKeep.GetOffsetAndLength(second.Count);
        int length = aCount + 2 + (second is null ? 0 : bCount + 1);
        var ids = new int[length];
        var typeIds = new int[length];
        var attention = new int[length];
        var special = new int[length];
        var words = new int[length];
        var sequences = new int[length];
        var offsets = new TokenOffset[length];
        attention.AsSpan().Fill(1);
        int at = 0;
        AddSpecial(clsId, 0);
        AddSequence(first, aFrom, aCount, 0);
        AddSpecial(sepId, 0);
        if (second is not null)
        {
            AddSequence(second, bFrom, bCount, 1);
            AddSpecial(sepId, 1);
        }
        return new TokenEncoding(Vocabulary, ids, typeIds, attention, special, words, sequences, offsets);

        void AddSpecial(int id, int typeId)
        {
            ids[at] = id;
            typeIds[at] = typeId;
            special[at] = 1;
            words[at] = TokenEncoding.None;
            sequences[at] = TokenEncoding.None;
            at++;
        }

        void AddSequence(TokenList tokens, int from, int count, int sequence)
        {
            tokens.Ids.Slice(from, count).CopyTo(ids.AsSpan(at));
            tokens.Words.Slice(from, count).CopyTo(words.AsSpan(at));
            var starts = tokens.Starts.Slice(from, count);
            var ends = tokens.Ends.Slice(from, count);
            for (int i = 0; i < count; i++) offsets[at + i] = new TokenOffset(starts[i], ends[i]);
            typeIds.AsSpan(at, count).Fill(sequence);
            sequences.AsSpan(at, count).Fill(sequence);
            at += count;
        }
    }

    static int PaddedLength(int longest, PaddingOptions padding)
    {
        int length = padding.Length ?? longest;
        int multiple = padding.PadToMultipleOf;
        return multiple > 0 && length % multiple != 0 ? length + multiple - length % multiple : length;
    }

    /// <summary>Pads to <paramref name="length"/> tokens (no-op when already that long or longer).</summary>
    TokenEncoding Pad(TokenEncoding encoding, int length, PaddingOptions padding)
    {
        int n = encoding.Length;
        if (n >= length) return encoding;
        int shift = padding.Side == Side.Left ? length - n : 0;
        int padFrom = padding.Side == Side.Left ? 0 : n;
        int[] Padded(int[] source, int fill)
        {
            var result = new int[length];
            result.AsSpan(padFrom, length - n).Fill(fill);
            source.CopyTo(result, shift);
            return result;
        }
        var offsets = new TokenOffset[length];
        encoding.Offsets.CopyTo(offsets, shift);
        return new TokenEncoding(Vocabulary, Padded(encoding.Ids, padId), Padded(encoding.TypeIds, padding.PadTypeId),
            Padded(encoding.AttentionMask, 0), Padded(encoding.SpecialTokensMask, 1),
            Padded(encoding.WordIds, TokenEncoding.None), Padded(encoding.SequenceIds, TokenEncoding.None), offsets);
    }

    /// <summary>
    /// Turns ids back into text as Hugging Face's WordPiece decoder does: "##" pieces are glued to
    /// the previous token, others get a space, and the cleanup removes spaces before punctuation
    /// and in English contractions. <paramref name="skipSpecialTokens"/> drops the special tokens.
    /// </summary>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = true)
    {
        var tokens = ids.Where(id => !(skipSpecialTokens && specialIds.Contains(id)))
            .Select(id => id >= 0 && id < Vocabulary.Count ? Vocabulary[id] : throw new ArgumentOutOfRangeException(nameof(ids), id, $"Not an id of this vocabulary (0..{Vocabulary.Count - 1})."));
        return WordPieceDecoder.Decode(tokens, Options.ContinuingSubwordPrefix);
    }
}
