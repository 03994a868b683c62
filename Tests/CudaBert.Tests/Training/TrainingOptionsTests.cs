using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public sealed class TrainingOptionsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cudabert-options-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string json)
    {
        string path = Path.Combine(_dir, "train.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void ConfigFileUsesTheCommandLineNames()
    {
        var o = TrainingOptions.ReadFile(Write("""
            {
              // comments are allowed
              "epochs": 5,
              "sentence-loss-weight": 0.5,
              "encoder-learning-rate": 2e-5,
              "freeze": ["encoder:until-epoch-1", "bottom-2"],
              "task-schedule": "alternate:1,2",
              "oversample": [1, 3],
              "tag-decoding": "argmax",
              "token-head": "crf",
              "tf32": true,
            }
            """));
        Assert.Equal(5, o.Epochs);
        Assert.Equal(0.5, o.SentenceLossWeight);
        Assert.Equal(2e-5, o.EncoderLearningRate);
        Assert.Equal(2, o.FreezeRules.Count);
        Assert.Equal("alternate:1,2", o.Schedule.ToString());
        Assert.Equal(CudaBert.Model.Inference.TagDecoding.Argmax, o.Decoding);
        Assert.Equal(CudaBert.Model.Bert.TokenHead.Crf, o.Head);
        Assert.True(o.Tf32);
        Assert.Equal(32, o.BatchSize); // untouched default
        Assert.Equal(o, TrainingOptions.ReadFile(Write(o.ToJson())) with { Freeze = o.Freeze, Oversample = o.Oversample });
    }

    [Fact]
    public void ImbalanceOptionsRoundTripThroughAConfigFile()
    {
        var o = TrainingOptions.ReadFile(Write("""{"class-weights": "weights.tsv", "oversample-labels": "sqrt"}"""));
        Assert.Equal("weights.tsv", o.ClassWeights);
        Assert.Equal("sqrt", o.OversampleLabels);
        Assert.Equal(o, TrainingOptions.ReadFile(Write(o.ToJson())) with { Freeze = o.Freeze, Oversample = o.Oversample });
        var defaults = new TrainingOptions();
        Assert.Equal(("auto", "auto"), (defaults.ClassWeights, defaults.OversampleLabels));
    }

    [Fact]
    public void UnknownKeysAreRejectedWithTheirName()
    {
        var e = Assert.Throws<FormatException>(() => TrainingOptions.ReadFile(Write("""{"epochz": 3}""")));
        Assert.Contains("epochz", e.Message);
        Assert.Contains("train.json", e.Message);
    }

    [Theory]
    [InlineData("""{"epochs": 0}""", "option epochs")]
    [InlineData("""{"warmup-ratio": 1.5}""", "option warmup-ratio")]
    [InlineData("""{"freeze": ["decoder"]}""", "option freeze")]
    [InlineData("""{"task-schedule": "alternate:0,1"}""", "option task-schedule")]
    [InlineData("""{"oversample": [1]}""", "option oversample")]
    [InlineData("""{"tag-decoding": "viterbi"}""", "option tag-decoding")]
    [InlineData("""{"token-head": "hmm"}""", "option token-head: 'hmm' is not a token head: use linear or crf")]
    [InlineData("""{"select-by": "accuracy"}""", "option select-by")]
    [InlineData("""{"select-by": null}""", "option select-by")]
    [InlineData("""{"patience": -1}""", "option patience")]
    [InlineData("""{"class-weights": ""}""", "option class-weights")]
    [InlineData("""{"class-weights": null}""", "option class-weights")]
    [InlineData("""{"oversample-labels": "cube"}""", "option oversample-labels")]
    [InlineData("""{"oversample-labels": "sqrt", "oversample": [1, 1]}""", "option oversample-labels")]
    public void InvalidValuesNameTheFileAndOption(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => TrainingOptions.ReadFile(Write(json)));
        Assert.Contains(expected, e.Message);
        Assert.Contains("train.json", e.Message);
    }
}
