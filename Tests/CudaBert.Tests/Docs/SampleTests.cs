using CudaBert.Model.Training;

namespace CudaBert.Tests.Docs;

/// <summary>
/// Runs every program under samples/ in-process, through the same methods their <c>Main</c> calls,
/// and checks what each one computes: the code the README shows cannot stop working unnoticed.
/// </summary>
public class SampleTests
{
    [Fact]
    public void TensorsLearnsXor()
    {
        var (loss, predictions) = Samples.Tensors.Program.Run();
        Assert.True(loss < 0.01, $"loss after training {loss}");
        Assert.Equal([0L, 1L, 1L, 0L], predictions);
    }

    [Fact]
    public void KernelAddsOnTheSoftwareGpu()
    {
        float[] y = Samples.Kernel.Program.Run(n: 1000, forceSoftware: true);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i + 0.5f), y);   // exact: one float add each
    }

    [Fact]
    public void TokenizeGivesWordPiecesAndAPaddedBatch()
    {
        string folder = Directory.CreateTempSubdirectory("cudabert-sample-").FullName;
        try
        {
            string vocab = Path.Combine(folder, "vocab.txt");
            File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "play", "jazz", "wake", "me", "up", "##s"]);
            var batch = Samples.Tokenize.Program.Run(vocab, ["Wake me ups", "play jazz"]);
            Assert.Equal(2, batch.BatchSize);
            Assert.Equal(6, batch.SequenceLength);                          // [CLS] wake me up ##s [SEP]
            Assert.Equal([2, 7, 8, 9, 10, 3, 2, 5, 6, 3, 0, 0], batch.InputIds);
            Assert.Equal([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0], batch.AttentionMask);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Train writes a checkpoint; Predict and Embed load it, as the README's commands do.</summary>
    [Fact]
    public void TrainThenPredictThenEmbed()
    {
        string folder = Directory.CreateTempSubdirectory("cudabert-sample-").FullName;
        try
        {
            var result = Samples.Train.Program.Run(folder, device: "cpu");
            // Guessing gives 1/6 intent accuracy; the generated commands are easy for even a tiny model.
            Assert.True(result.FinalEvaluation!.Scores.Intent!.Accuracy > 0.9, $"dev intent accuracy {result.FinalEvaluation.Scores.Intent.Accuracy}");
            string checkpoint = result.Checkpoint ?? throw new InvalidOperationException("the Train sample wrote no checkpoint");

            const string alarm = "wake me up at 7 am tomorrow";
            var predictions = Samples.Predict.Program.Run(checkpoint, [alarm, "play some jazz"]);
            Assert.Equal(["SetAlarm", "PlayMusic"], predictions.Select(p => p.Intent));
            var time = Assert.Single(predictions[0].Entities, e => e.Type == "time");
            Assert.Equal(("7 am", 14, 18), (time.Text, time.Start, time.End));
            Assert.Equal(time.Text, alarm[time.Start..time.End]);

            float[][] vectors = Samples.Embed.Program.Run(checkpoint, [alarm, "set an alarm for noon", "play some jazz"]);
            static double Dot(float[] a, float[] b) => a.Zip(b, (x, y) => (double)x * y).Sum();
            Assert.All(vectors, v => Assert.Equal(1.0, Dot(v, v), 1e-5));      // L2-normalised
            Assert.True(Dot(vectors[0], vectors[1]) > Dot(vectors[0], vectors[2]), "two alarm commands should be closer than an alarm and a music request");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
