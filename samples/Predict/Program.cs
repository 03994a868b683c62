using CudaBert.Model.Inference;

namespace CudaBert.Samples.Predict;

/// <summary>
/// Loads a checkpoint folder (written by samples/Train or <c>cudabert train</c>) and prints, for each
/// text, the intent with its probability and the entities with their character offsets.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: Predict CHECKPOINT_DIR TEXT [TEXT ...]");
            return 2;
        }
        Run(args[0], args[1..]);
        return 0;
    }

    /// <summary>Predicts <paramref name="texts"/> with the checkpoint in <paramref name="checkpoint"/>, printing and returning the predictions.</summary>
    public static List<TextPrediction> Run(string checkpoint, IReadOnlyList<string> texts)
    {
        // region: predict
        using var pipeline = TwoTaskPipeline.Load(checkpoint);      // model, tokenizer and labels; on the CPU
        List<TextPrediction> predictions = pipeline.Predict(texts); // one batch of 32 texts at a time
        foreach (var p in predictions)
        {
            Console.WriteLine($"{p.Text}: {p.Intent} ({p.Probability:P1})");
            foreach (var e in p.Entities)                           // offsets are UTF-16 indices into the text
                Console.WriteLine($"  {e.Type} = \"{e.Text}\" at [{e.Start}, {e.End})");
        }
        // endregion
        return predictions;
    }
}
