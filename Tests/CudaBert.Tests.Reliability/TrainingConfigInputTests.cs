using CudaBert.Model.Training;

namespace CudaBert.Tests.Reliability;

/// <summary>Training config files: nulls, non-finite numbers and repeated keys are FormatExceptions naming the file and option.</summary>
public class TrainingConfigInputTests
{
    [Theory]
    [InlineData("""{"freeze": null}""", "freeze")]                // these four were NullReferenceExceptions
    [InlineData("""{"oversample": null}""", "oversample")]
    [InlineData("""{"task-schedule": null}""", "task-schedule")]
    [InlineData("""{"freeze": [null]}""", "freeze")]
    [InlineData("""{"learning-rate": 1e999}""", "out of range")] // not accepted as infinity
    [InlineData("""{"epochs": 1, "epochs": 2}""", "'epochs' appears twice")]
    public void BadOptionsNameTheFileAndOption(string json, string problem)
    {
        string path = Path.Combine(Path.GetTempPath(), $"cudabert-options-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        try
        {
            var error = Assert.Throws<FormatException>(() => TrainingOptions.ReadFile(path));
            Assert.Contains(path, error.Message);
            Assert.Contains(problem, error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void InfinityFromTheCommandLineIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new TrainingOptions { LearningRate = double.PositiveInfinity }.Validated());
        Assert.Contains("learning-rate", error.Message);
    }
}
