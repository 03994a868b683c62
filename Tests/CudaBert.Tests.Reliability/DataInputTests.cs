using CudaBert.Fuzz;
using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Reliability;

/// <summary>Label files and JSON lines: a DataFormatException naming the file and line.</summary>
public class DataInputTests
{
    [Fact]
    public void ADuplicateLabelNamesTheFileAndLine()
    {
        using var folder = new SeedFolder(FuzzSeeds.JointBertFolder);
        folder.Write("intent_label.txt", "A\nB\nA\n");
        var error = Assert.Throws<DataFormatException>(() => TrainingData.Load(new TrainingOptions { Data = folder.Path }));   // not ArgumentException without the file
        Assert.Equal(folder.File("intent_label.txt"), error.File);
        Assert.Equal(3, error.Line);
        Assert.Contains("duplicate label 'A' (first on line 1)", error.Message);
    }

    [Fact]
    public void ALoneSurrogateInJsonLinesNamesTheLine()
    {
        using var folder = new SeedFolder(new Dictionary<string, byte[]>());
        folder.Write("d.jsonl", "{\"text\": \"ok\", \"label\": \"a\"}\n{\"text\": \"\\ud800\", \"label\": \"a\"}\n");
        var error = Assert.Throws<DataFormatException>(() => JsonLinesReader.Read(folder.File("d.jsonl")));   // not InvalidOperationException
        Assert.Equal(2, error.Line);
        Assert.Contains("not valid Unicode", error.Message);
    }

    [Fact]
    public void ADuplicateKeyInJsonLinesNamesTheLine()
    {
        using var folder = new SeedFolder(new Dictionary<string, byte[]>());
        folder.Write("d.jsonl", "{\"text\": \"ok\", \"label\": \"a\", \"label\": \"b\"}\n");
        var error = Assert.Throws<DataFormatException>(() => JsonLinesReader.Read(folder.File("d.jsonl")));   // the last label won
        Assert.Contains("'label' appears twice", error.Message);
    }
}
