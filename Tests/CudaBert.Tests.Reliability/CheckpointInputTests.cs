using System.Text.Json.Nodes;
using CudaBert.Engine.IO;
using CudaBert.Engine.Optim;
using CudaBert.Model.Bert;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Reliability;

/// <summary>Reading a checkpoint: every bad file is an InvalidDataException (or the file format's own exception) naming the file.</summary>
public class CheckpointInputTests
{
    [Fact]
    public void TheSeedCheckpointLoadsAndResumes()
    {
        using var folder = new SeedFolder();
        using var pipeline = TwoTaskPipeline.Load(folder.Path);
        Assert.Equal(2, Checkpoint.LoadState(folder.Path).BatchInEpoch);
        using var optimizer = new AdamW(pipeline.Model.Parameters());
        Checkpoint.LoadOptimizer(folder.Path, pipeline.Model, optimizer);
    }

    [Theory]
    [InlineData("batch_in_epoch", -1)]   // must be refused, not accepted
    [InlineData("epoch", -3)]
    [InlineData("optimizer_step", -1)]
    public void ANegativePositionIsRefused(string key, int value)
    {
        using var folder = new SeedFolder();
        var state = JsonNode.Parse(folder.Read(Checkpoint.StateFile))!.AsObject();
        state[key] = value;
        folder.Write(Checkpoint.StateFile, state.ToJsonString());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadState(folder.Path));
        Assert.Contains(key, error.Message);
        Assert.Contains(Checkpoint.StateFile, error.Message);
    }

    [Fact]
    public void ADuplicateKeyInTheStateIsRefused()
    {
        using var folder = new SeedFolder();
        folder.Write(Checkpoint.StateFile, folder.Read(Checkpoint.StateFile).Replace("\"epoch\":", "\"epoch\": 0, \"epoch\":"));
        Assert.Contains("appears twice", Assert.Throws<InvalidDataException>(() => Checkpoint.LoadState(folder.Path)).Message);
    }

    [Fact]
    public void ADuplicateLabelNamesTheLabelFile()
    {
        using var folder = new SeedFolder();
        string labels = folder.Read(Checkpoint.TokenLabelsFile);
        folder.Write(Checkpoint.TokenLabelsFile, labels + labels.Split('\n')[0] + "\n");
        var error = Assert.Throws<DataFormatException>(() => TwoTaskPipeline.Load(folder.Path));   // not ArgumentException without the file
        Assert.Equal(folder.File(Checkpoint.TokenLabelsFile), error.File);
    }

    [Fact]
    public void AMissingOptimizerTensorIsNamed()
    {
        using var folder = new SeedFolder();
        string path = folder.File(Checkpoint.OptimizerFile);
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var (key, value) in file.Metadata) writer.Metadata[key] = value;
            foreach (var tensor in file.Tensors.Where(t => t.Name != "exp_avg_sq.classifier.bias"))
                writer.Add(tensor.Name, tensor.Shape, file.ReadFloat32(tensor.Name));
        }
        writer.Save(path);
        using var model = MultiTaskBert.Load(folder.Path);
        using var optimizer = new AdamW(model.Parameters());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadOptimizer(folder.Path, model, optimizer));   // not KeyNotFoundException
        Assert.Contains("'exp_avg_sq.classifier.bias' is missing", error.Message);
    }

    [Fact]
    public void AStepCountThatIsNotANumberIsNamed()
    {
        using var folder = new SeedFolder();
        string path = folder.File(Checkpoint.OptimizerFile);
        var writer = new SafetensorsWriter();
        using (var file = SafetensorsFile.Open(path))
        {
            foreach (var (key, value) in file.Metadata) writer.Metadata[key] = value;
            writer.Metadata["step.classifier.bias"] = "-1";
            foreach (var tensor in file.Tensors) writer.Add(tensor.Name, tensor.Shape, file.ReadFloat32(tensor.Name));
        }
        writer.Save(path);
        using var model = MultiTaskBert.Load(folder.Path);
        using var optimizer = new AdamW(model.Parameters());
        var error = Assert.Throws<InvalidDataException>(() => Checkpoint.LoadOptimizer(folder.Path, model, optimizer));   // a negative step must be refused
        Assert.Contains("step.classifier.bias", error.Message);
    }

    /// <summary>Token ids past vocab_size have no embedding row: the pipeline refuses such a tokenizer instead of predicting with wrong rows.</summary>
    [Fact]
    public void AVocabularyLargerThanVocabSizeIsRefused()
    {
        using var folder = new SeedFolder();
        File.Delete(folder.File("tokenizer.json"));
        folder.Write("vocab.txt", folder.Read("vocab.txt") + "extra\nwords\n");
        var error = Assert.Throws<InvalidDataException>(() => TwoTaskPipeline.Load(folder.Path));   // must be refused, not accepted
        Assert.Contains("vocab_size", error.Message);
    }
}
