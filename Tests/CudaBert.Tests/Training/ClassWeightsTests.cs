using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public sealed class ClassWeightsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cudabert-class-weights-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly LabelSet Labels = new(["UNK", "rare", "common"]);

    string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void InverseGivesEveryLabelTheSameTotalWeight()
    {
        // N = 4 examples, K = 2 labels with examples: w = N / (K·n) = 2 and 2/3; the label without examples gets 1.
        double[] w = ClassWeights.InverseFrequency([0, 1, 3]);
        Assert.Equal([1, 2, 2.0 / 3], w, (a, b) => Math.Abs(a - b) < 1e-12);
    }

    [Fact]
    public void InverseSqrtIsScaledToAMeanOfOneOverTheExamples()
    {
        // √(N / (K·n)) = √2 and √(2/3), scaled so that 1·w1 + 3·w2 = 4: w1 = 4 / (1 + √3), w2 = w1 / √3.
        double[] w = ClassWeights.InverseSqrtFrequency([0, 1, 3]);
        Assert.Equal([1, 4 / (1 + Math.Sqrt(3)), 4 / (1 + Math.Sqrt(3)) / Math.Sqrt(3)], w, (a, b) => Math.Abs(a - b) < 1e-12);
        Assert.Equal(4, 1 * w[1] + 3 * w[2], 12);
    }

    [Fact]
    public void BalancedCountsGiveWeightOne() =>
        Assert.All(ClassWeights.InverseSqrtFrequency([50, 50, 50]), w => Assert.Equal(1, w, 12));

    [Fact]
    public void ReadsTabSeparatedLinesAndJson()
    {
        Assert.Equal([1, 4, 0.5], ClassWeights.ReadFile(Write("w.tsv", "rare\t4\n\ncommon\t0.5\n"), Labels));
        Assert.Equal([1, 4, 1], ClassWeights.ReadFile(Write("w.json", "{\n  \"rare\": 4\n}\n"), Labels));
    }

    [Theory]
    [InlineData("w.tsv", "rare\t2\nnovel\t3\n", 2, "unknown sentence label 'novel'")]
    [InlineData("w.tsv", "rare\t2\ncommon\t0\n", 2, "must be a finite number > 0")]
    [InlineData("w.tsv", "rare\tNaN\n", 1, "must be a finite number > 0")]
    [InlineData("w.tsv", "rare 2\n", 1, "label<TAB>weight")]
    [InlineData("w.tsv", "rare\t2\nrare\t3\n", 2, "has a weight already (line 1)")]
    [InlineData("w.json", "{\n  \"rare\": 2,\n  \"novel\": 3\n}", 3, "unknown sentence label 'novel'")]
    [InlineData("w.json", "{\n  \"rare\": -1\n}", 2, "must be a finite number > 0")]
    [InlineData("w.json", "{\n  \"rare\": \"2\"\n}", 2, "must be a number")]
    public void ABadEntryNamesTheFileAndLine(string name, string text, int line, string problem)
    {
        string path = Write(name, text);
        var e = Assert.Throws<DataFormatException>(() => ClassWeights.ReadFile(path, Labels));
        Assert.Equal((path, line), (e.File, e.Line));
        Assert.Contains(problem, e.Message);
    }
}
