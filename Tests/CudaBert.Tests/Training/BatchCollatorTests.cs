using CudaBert.Model.Data;
using CudaBert.Model.Training;
using CudaBert.Tokenizer;

namespace CudaBert.Tests.Training;

public class BatchCollatorTests
{
    // ids:                     0        1        2        3        4         5       6       7      8       9
    static readonly string[] Vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "some", "ja", "##zz", "now"];
    static readonly BertTokenizer Tokenizer = new(new Vocabulary(Vocab));
    static readonly LabelSet Intents = new(["Other", "PlayMusic"]);
    static readonly LabelSet Tags = new(["O", "B-genre"]);

    [Fact]
    public void PadsAlignsAndMasksMissingTasks()
    {
        var examples = new[]
        {
            new TwoTaskExample(["play", "some", "jazz"], "PlayMusic", ["O", "O", "B-genre"], "t", 1),
            new TwoTaskExample(["now"], null, null, "t", 2),
        };
        using var batch = new BatchCollator(Tokenizer, Intents, Tags, maxLength: 16).Collate(examples);
        // "jazz" → ja ##zz: [CLS] play some ja ##zz [SEP] = 6 tokens; "now" → [CLS] now [SEP] + 3 padding.
        Assert.Equal(new[] { 2, 5, 6, 7, 8, 3, 2, 9, 3, 0, 0, 0 }, batch.InputIds.ToArray<int>());
        Assert.Equal(new float[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0 }, batch.AttentionMask.ToArray<float>());
        // The sentence label of the unlabelled example and every non-first sub-token are ignored.
        Assert.Equal(new long[] { 1, -100 }, batch.SentenceLabels!.ToArray<long>());
        Assert.Equal(new long[] { -100, 0, 0, 1, -100, -100, -100, -100, -100, -100, -100, -100 }, batch.TokenLabels!.ToArray<long>());
    }

    [Fact]
    public void IdsMustFitTheModelsEmbeddingTables()
    {
        var collator = new BatchCollator(Tokenizer, Intents, Tags, maxLength: 16);
        collator.EnsureIdsFit(new CudaBert.Model.BertConfig { VocabSize = Vocab.Length, MaxPositionEmbeddings = 16 });
        var vocabulary = Assert.Throws<ArgumentException>(() =>
            collator.EnsureIdsFit(new CudaBert.Model.BertConfig { VocabSize = Vocab.Length - 1, MaxPositionEmbeddings = 16 }));
        Assert.Contains($"{Vocab.Length} tokens but the model's vocab_size is {Vocab.Length - 1}", vocabulary.Message);
        var positions = Assert.Throws<ArgumentException>(() =>
            collator.EnsureIdsFit(new CudaBert.Model.BertConfig { VocabSize = Vocab.Length, MaxPositionEmbeddings = 15 }));
        Assert.Contains("max-length 16 exceeds the model's max_position_embeddings 15", positions.Message);
    }

    [Fact]
    public void ABatchWithoutTagsHasNoTokenLabelsAtAll()
    {
        using var batch = new BatchCollator(Tokenizer, Intents, Tags, 16).Collate([new TwoTaskExample(["play"], "PlayMusic", null, "t", 1)]);
        Assert.Null(batch.TokenLabels);
        Assert.NotNull(batch.SentenceLabels);
    }

    [Fact]
    public void TagsOfWordsThatGetNoTokenLeaveTheBatchWithoutTokenLabels()
    {
        // U+0007 is a control character: BERT's normalizer drops it, so the word has no token and
        // its tag aligns to nothing. The batch must then carry no token labels at all.
        using var batch = new BatchCollator(Tokenizer, Intents, Tags, 16).Collate(
            [new TwoTaskExample(["\u0007"], "PlayMusic", ["B-genre"], "t", 1)]);
        Assert.Equal(new[] { 2, 3 }, batch.InputIds.ToArray<int>());
        Assert.Null(batch.TokenLabels);
        Assert.NotNull(batch.SentenceLabels);
    }

    [Fact]
    public void TruncatesToMaxLength()
    {
        using var batch = new BatchCollator(Tokenizer, Intents, Tags, 4).Collate(
            [new TwoTaskExample(["play", "some", "jazz", "now"], "PlayMusic", ["O", "O", "B-genre", "O"], "t", 1)]);
        Assert.Equal(new[] { 2, 5, 6, 3 }, batch.InputIds.ToArray<int>());
        Assert.Equal(new long[] { -100, 0, 0, -100 }, batch.TokenLabels!.ToArray<long>());
    }

    [Fact]
    public void UnknownLabelNamesTheExample()
    {
        var e = Assert.Throws<KeyNotFoundException>(() => new BatchCollator(Tokenizer, Intents, Tags, 16)
            .Collate([new TwoTaskExample(["play"], "Dance", null, "dev/label", 7)]));
        Assert.Contains("dev/label:7", e.Message);
        Assert.Contains("'Dance'", e.Message);
    }
}
