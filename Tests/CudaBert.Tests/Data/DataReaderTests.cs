using System.Text;
using CudaBert.Model.Data;

namespace CudaBert.Tests.Data;

public sealed class DataReaderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cudabert-data-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string SnipsDir(string split) => Path.Combine(RepositoryFiles.SnipsDirectory, split);

    string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    [Fact]
    public void ReadsTheRealSnipsSplits()
    {
        var train = JointBertReader.Read(SnipsDir("train"));
        var dev = JointBertReader.Read(SnipsDir("dev"));
        Assert.Equal(13084, train.Count);
        Assert.Equal(700, dev.Count);
        Assert.All(train, e => Assert.Equal(e.Words.Length, e.Tags!.Length));
        Assert.Equal(7, LabelSet.FromSentenceLabels(train).Count);
        // Every tag and intent of the data is in the shipped label files.
        var slotLabels = LabelSet.ReadFile(Path.Combine(SnipsDir(""), "slot_label.txt"));
        var intentLabels = LabelSet.ReadFile(Path.Combine(SnipsDir(""), "intent_label.txt"));
        Assert.All(dev.SelectMany(e => e.Tags!), t => Assert.True(slotLabels.TryGetId(t, out _), t));
        Assert.All(dev, e => Assert.True(intentLabels.TryGetId(e.SentenceLabel!, out _)));
    }

    [Fact]
    public void AJointBertFolderWithATestSplitGivesItsExamplesAsTheTestSet()
    {
        foreach (var (split, words) in new[] { ("train", "play some jazz"), ("dev", "book a table"), ("test", "wake me up\nplay it") })
        {
            int lines = words.Split('\n').Length;
            Write($"d/{split}/seq.in", words + "\n");
            Write($"d/{split}/seq.out", string.Join("\n", words.Split('\n').Select(l => string.Join(" ", l.Split(' ').Select(_ => "O")))) + "\n");
            Write($"d/{split}/label", string.Concat(Enumerable.Repeat("Intent\n", lines)));
        }
        var data = CudaBert.Model.Training.TrainingData.Load(new CudaBert.Model.Training.TrainingOptions { Data = Path.Combine(_dir, "d") });
        Assert.Equal(["wake me up", "play it"], data.Test.Select(e => string.Join(" ", e.Words)));
        Assert.Single(data.Dev);
        Directory.Delete(Path.Combine(_dir, "d", "test"), recursive: true);
        Assert.Empty(CudaBert.Model.Training.TrainingData.Load(new CudaBert.Model.Training.TrainingOptions { Data = Path.Combine(_dir, "d") }).Test);
    }

    [Fact]
    public void TagCountMismatchNamesFileAndLine()
    {
        Write("s/seq.in", "play some jazz\nbook a table\n");
        Write("s/seq.out", "O O B-genre\nO O\n");
        var e = Assert.Throws<DataFormatException>(() => JointBertReader.Read(Path.Combine(_dir, "s")));
        Assert.EndsWith("seq.out", e.File);
        Assert.Equal(2, e.Line);
        Assert.Contains("2 tags for 3 words", e.Message);
    }

    [Fact]
    public void BadLinesCanBeSkippedAndAreCounted()
    {
        Write("s/seq.in", "play some jazz\n\nbook a table\n");
        Write("s/label", "PlayMusic\nBookRestaurant\nBookRestaurant\n");
        var examples = JointBertReader.Read(Path.Combine(_dir, "s"), new DataReadOptions { SkipBadLines = true }, out var report);
        Assert.Equal(2, examples.Count);
        Assert.Single(report.Skipped);
        Assert.Equal(2, report.Skipped[0].Line);
        Assert.Null(examples[0].Tags);
        Assert.Equal("BookRestaurant", examples[1].SentenceLabel);
    }

    [Fact]
    public void LineCountMismatchIsAnError()
    {
        Write("s/seq.in", "a\nb\n");
        Write("s/label", "x\n");
        var e = Assert.Throws<DataFormatException>(() => JointBertReader.Read(Path.Combine(_dir, "s")));
        Assert.Contains("1 labels but", e.Message);
    }

    [Fact]
    public void InvalidUtf8NamesTheByteOffset()
    {
        string path = Path.Combine(_dir, "bad.conll");
        File.WriteAllBytes(path, [.. "a O\n"u8, 0xC3, 0x28, .. " O\n"u8]);
        var e = Assert.Throws<DataFormatException>(() => ConllReader.Read(path));
        Assert.Equal(2, e.Line);
        Assert.Contains("byte offset 4", e.Message);
    }

    [Fact]
    public void ConllSkipsDocstartAndUsesTheLastColumn()
    {
        string path = Write("x.conll", "-DOCSTART- -X- O\n\nEU NNP B-ORG\nrejects VBZ O\n\nPeter NNP B-PER\n");
        var examples = ConllReader.Read(path);
        Assert.Equal(2, examples.Count);
        Assert.Equal(["EU", "rejects"], examples[0].Words);
        Assert.Equal(["B-ORG", "O"], examples[0].Tags!);
        Assert.Equal(6, examples[1].Line);
        Assert.Null(examples[0].SentenceLabel);
    }

    [Fact]
    public void JsonLinesCarryEitherOrBothTasks()
    {
        string path = Write("x.jsonl",
            "{\"text\": \"wake me up at 7\", \"label\": \"SetAlarm\"}\n" +
            "\n" +
            "{\"tokens\": [\"call\", \"mom\"], \"tags\": [\"O\", \"B-contact\"]}\n" +
            "{\"tokens\": [\"call\", \"mom\"], \"tags\": [\"O\", \"B-contact\"], \"label\": \"Call\"}\n");
        var examples = JsonLinesReader.Read(path);
        Assert.Equal(3, examples.Count);
        Assert.Equal(5, examples[0].Words.Length);
        Assert.False(examples[0].HasTags);
        Assert.False(examples[1].HasSentenceLabel);
        Assert.True(examples[2].HasTags && examples[2].HasSentenceLabel);
        Assert.Equal(4, examples[2].Line);
    }

    [Theory]
    [InlineData("{\"tokens\": [\"a\"], \"tags\": [\"O\", \"O\"]}", "2 tags for 1 tokens")]
    [InlineData("{\"text\": \"a\"}", "no labels")]
    [InlineData("{\"text\": 3, \"label\": \"x\"}", "\"text\" must be a string")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{not json", "invalid JSON")]
    public void JsonLinesErrorsNameTheProblem(string line, string expected)
    {
        string path = Write("bad.jsonl", "{\"text\": \"ok\", \"label\": \"x\"}\n" + line + "\n");
        var e = Assert.Throws<DataFormatException>(() => JsonLinesReader.Read(path));
        Assert.Equal(2, e.Line);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void LabelSetsAreDeterministicAndPutOFirst()
    {
        var examples = new[]
        {
            new TwoTaskExample(["a", "b"], "Z", ["B-x", "O"], "t", 1),
            new TwoTaskExample(["c"], "A", ["B-a"], "t", 2),
        };
        Assert.Equal(["A", "Z"], LabelSet.FromSentenceLabels(examples).Labels);
        Assert.Equal(["O", "B-a", "B-x"], LabelSet.FromTags(examples).Labels);
        var e = Assert.Throws<KeyNotFoundException>(() => LabelSet.FromTags(examples).IdOf("B-y", "dev/seq.out:3"));
        Assert.Contains("dev/seq.out:3", e.Message);
        Assert.Contains("'B-y'", e.Message);
    }
}
