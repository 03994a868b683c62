using BenchmarkDotNet.Attributes;
using CudaBert.Tokenizer;
using MlBertTokenizer = Microsoft.ML.Tokenizers.BertTokenizer;

namespace CudaBert.Bench.Tokenizer;

/// <summary>
/// One thread encodes a whole corpus into ids, [CLS] and [SEP] included, with each tokenizer's
/// fastest ids-only API; <c>CudaBert_Encode</c> builds the full encoding (masks, word ids, offsets).
/// Run: <c>dotnet run -c Release --project Bench -- --filter '*Tokenizer*'</c>.
/// </summary>
[Config(typeof(TokenizerBenchConfig))]
public class TokenizerSingleThreadBenchmarks : ITokenizerBenchmark
{
    string[] texts = [];
    BertTokenizer ours = null!;
    FastBertTokenizer.BertTokenizer fast = null!;
    MlBertTokenizer ml = null!;
    readonly int[] ids = new int[1 << 16];
    readonly long[] fastIds = new long[1 << 16], fastMask = new long[1 << 16];

    [Params(TokenizerCorpora.Snips, TokenizerCorpora.LongText)]
    public string Corpus { get; set; } = TokenizerCorpora.Snips;

    public int MaxTokensPerText => int.MaxValue;

    [GlobalSetup]
    public void Setup()
    {
        texts = TokenizerCorpora.Load(Corpus);
        (ours, fast, ml) = TokenizerCorpora.LoadTokenizers();
    }

    [Benchmark(Baseline = true)]
    public long FastBertTokenizer()
    {
        long n = 0;
        foreach (string text in texts) n += fast.Encode(text, fastIds, fastMask);
        return n;
    }

    [Benchmark]
    public long CudaBert_EncodeIds()
    {
        long n = 0;
        foreach (string text in texts) n += ours.EncodeIds(text, ids);
        return n;
    }

    [Benchmark]
    public long CudaBert_Encode()
    {
        long n = 0;
        foreach (string text in texts) n += ours.Encode(text).Length;
        return n;
    }

    [Benchmark]
    public long MicrosoftMLTokenizers()
    {
        long n = 0;
        foreach (string text in texts) n += ml.EncodeToIds(text).Count;
        return n;
    }
}

/// <summary>
/// All SNIPS sentences as one batch, written as <c>[batch, 64]</c> ids and attention mask on all
/// cores: FastBertTokenizer's batch API, ours, and Microsoft.ML.Tokenizers (no batch API: a
/// parallel loop copying its ids into the rows).
/// </summary>
[Config(typeof(TokenizerBenchConfig))]
public class TokenizerBatchBenchmarks : ITokenizerBenchmark
{
    const int SequenceLength = 64;
    string[] texts = [];
    BertTokenizer ours = null!;
    FastBertTokenizer.BertTokenizer fast = null!;
    MlBertTokenizer ml = null!;
    int[] ids = [], mask = [];
    long[] fastIds = [], fastMask = [];

    [Params(TokenizerCorpora.Snips)]
    public string Corpus { get; set; } = TokenizerCorpora.Snips;

    public int MaxTokensPerText => SequenceLength;

    [GlobalSetup]
    public void Setup()
    {
        texts = TokenizerCorpora.Load(Corpus);
        (ours, fast, ml) = TokenizerCorpora.LoadTokenizers();
        (ids, mask) = (new int[texts.Length * SequenceLength], new int[texts.Length * SequenceLength]);
        (fastIds, fastMask) = (new long[texts.Length * SequenceLength], new long[texts.Length * SequenceLength]);
    }

    [Benchmark(Baseline = true)]
    public void FastBertTokenizer() => fast.Encode(texts, fastIds, fastMask, SequenceLength);

    [Benchmark]
    public void CudaBert_EncodeBatchIds() => ours.EncodeBatchIds(texts, ids, mask, SequenceLength);

    [Benchmark]
    public void MicrosoftMLTokenizers() => Parallel.For(0, texts.Length, row =>
    {
        var encoded = ml.EncodeToIds(texts[row], SequenceLength, out _, out _);
        var rowIds = ids.AsSpan(row * SequenceLength, SequenceLength);
        for (int i = 0; i < encoded.Count; i++) rowIds[i] = encoded[i];
        rowIds[encoded.Count..].Clear();
        var rowMask = mask.AsSpan(row * SequenceLength, SequenceLength);
        rowMask[..encoded.Count].Fill(1);
        rowMask[encoded.Count..].Clear();
    });
}
