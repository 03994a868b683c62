using CudaBert.Tokenizer;

namespace CudaBert.Tests.Parity.Tokenizer;

/// <summary>Word labels → token labels → word predictions → entity spans, by hand and over all of SNIPS dev.</summary>
public class TokenClassificationTests
{
    static readonly BertTokenizer tokenizer = new(MiniLmVocabulary.Shared);

    [Fact]
    public void LabelsGoOnTheFirstSubTokenByHand()
    {
        string[] words = ["book", "unaffable", "o'clock"];
        var e = tokenizer.EncodeWords(words);
        // [CLS] book una ##ffa ##ble o ' clock [SEP]
        Assert.Equal(["[CLS]", "book", "una", "##ffa", "##ble", "o", "'", "clock", "[SEP]"], e.Tokens);
        Assert.Equal([-1, 0, 1, 1, 1, 2, 2, 2, -1], e.WordIds);
        const int I = TokenClassification.IgnoreIndex;
        Assert.Equal([I, 7, 8, I, I, 9, I, I, I], TokenClassification.AlignLabels(e, [7, 8, 9]));
        Assert.Equal([I, 7, 8, 8, 8, 9, 9, 9, I], TokenClassification.AlignLabels(e, [7, 8, 9], labelEverySubToken: true));
        Assert.Equal([7, 8, 9], TokenClassification.WordPredictions(e, [0, 7, 8, 1, 1, 9, 2, 2, 0], 3));
        Assert.Equal([new TokenOffset(0, 4), new TokenOffset(5, 14), new TokenOffset(15, 22)], TokenClassification.WordSpans(e, 3));
    }

    [Fact]
    public void EntitiesFollowSeqevalBioReading()
    {
        string text = "fly from new york to san jose at 7pm";
        string[] words = text.Split(' ');
        string[] tags = ["O", "O", "B-from", "I-from", "O", "I-to", "I-to", "O", "B-time"];
        var spans = TokenClassification.WordSpans(tokenizer.EncodeWords(words), words.Length);
        var entities = TokenClassification.Entities(tags, spans);
        Assert.Equal(
            [new EntitySpan("from", 2, 3, 9, 17), new EntitySpan("to", 5, 6, 21, 29), new EntitySpan("time", 8, 8, 33, 36)],
            entities);
        Assert.Equal(["new york", "san jose", "7pm"], entities.Select(s => text[s.Start..s.End]));
        // B-X always starts a new entity; I-Y after X starts a Y entity.
        Assert.Equal(["a", "b", "c d"], TokenClassification.Entities(["B-x", "B-x", "I-y", "I-y"], [new(0, 1), new(2, 3), new(4, 5), new(6, 7)])
            .Select(s => "a b c d"[s.Start..s.End]));
    }

    [Fact]
    public void SnipsDevSlotsRoundTrip()
    {
        string dir = RepositoryFiles.SnipsDirectory;
        var sentences = File.ReadAllLines(Path.Combine(dir, "dev", "seq.in"));
        var slotLines = File.ReadAllLines(Path.Combine(dir, "dev", "seq.out"));
        var slotNames = File.ReadAllLines(Path.Combine(dir, "slot_label.txt"));
        int entities = 0;
        for (int s = 0; s < sentences.Length; s++)
        {
            var words = sentences[s].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var tags = slotLines[s].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.Equal(words.Length, tags.Length);
            int[] labels = [.. tags.Select(t => Array.IndexOf(slotNames, t) is var i and >= 0 ? i : 0)];
            var e = tokenizer.EncodeWords(words);
            var tokenLabels = TokenClassification.AlignLabels(e, labels);
            // A model that predicts the aligned labels gets every word's label back.
            Assert.Equal(labels, TokenClassification.WordPredictions(e, tokenLabels, words.Length));
            // Each word's span is the word itself inside the joined sentence.
            string joined = string.Join(' ', words);
            var spans = TokenClassification.WordSpans(e, words.Length);
            for (int w = 0; w < words.Length; w++) Assert.Equal(words[w], joined[spans[w].Start..spans[w].End]);
            foreach (var entity in TokenClassification.Entities(tags, spans))
            {
                Assert.Equal(string.Join(' ', words[entity.FirstWord..(entity.LastWord + 1)]), joined[entity.Start..entity.End]);
                entities++;
            }
        }
        Assert.True(entities > 1000, $"only {entities} entities in SNIPS dev");
    }
}
