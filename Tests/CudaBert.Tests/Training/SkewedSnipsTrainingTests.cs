using System.Diagnostics;
using CudaBert.Model.Bert;
using CudaBert.Model.Embeddings;
using CudaBert.Model.Import;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary>
/// MiniLM fine-tuned on the skewed SNIPS of <c>tools/imbalanced-snips</c> (7 AddToPlaylist and 30 BookRestaurant
/// examples, PlayMusic 75 %), with and without the automatic imbalance handling. Opt-in: several minutes on a CPU.
/// </summary>
public sealed class SkewedSnipsTrainingTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cudabert-skewed-snips-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AutoBeatsNoneOnIntentMacroF1()
    {
        if (Environment.GetEnvironmentVariable("CUDABERT_LONG_TESTS") != "1")
            Assert.Skip("opt-in long run (two MiniLM fine-tunings): set CUDABERT_LONG_TESTS=1");
        string root = RepositoryFiles.Root, data = Path.Combine(_dir, "snips-skewed");
        using (var tool = Process.Start(new ProcessStartInfo("dotnet", ["run", Path.Combine(root, "tools", "imbalanced-snips", "imbalanced-snips.cs"), "--", RepositoryFiles.SnipsDirectory, data])
               { WorkingDirectory = root, RedirectStandardOutput = true })!)
        {
            tool.StandardOutput.ReadToEnd();
            tool.WaitForExit();
            Assert.Equal(0, tool.ExitCode);
        }

        var options = new TrainingOptions { Data = data, Epochs = 2, MaxLength = 50, LengthBucketing = true, Device = "cpu" };
        var split = TrainingData.Load(options);
        string encoder = DefaultEncoderCache.EnsureImported();
        var collator = new BatchCollator(HuggingFaceModelFolder.LoadTokenizer(encoder), split.SentenceLabels, split.TokenLabels, options.MaxLength);
        double MacroF1(TrainingOptions o)
        {
            using var model = MultiTaskBert.FromPretrained(encoder, split.SentenceLabels.Count, split.TokenLabels.Count, o.Seed);
            using var trainer = new MultiTaskTrainer(model, collator, o, split.Train, split.Dev, encoder);
            return trainer.Run().FinalEvaluation!.Scores.Intent!.MacroF1;
        }
        double none = MacroF1(options with { ClassWeights = "none", OversampleLabels = "none" });
        double auto = MacroF1(options);
        // Measured: 57.7 % without (AddToPlaylist and BookRestaurant never predicted), 97.7 % with.
        Assert.True(auto > none + 0.1, $"intent macro-F1: auto {auto:P2}, none {none:P2}");
    }
}
