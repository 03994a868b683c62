using CudaBert.Model.Embeddings;

namespace CudaBert.Samples.Embed;

/// <summary>
/// Sentence embeddings from a model folder (a Hugging Face BERT folder such as the one
/// <c>cudabert import minilm --out models/minilm</c> writes, or a checkpoint): each text becomes one
/// L2-normalised vector, and the program prints every pair's cosine similarity.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length < 3)
        {
            Console.Error.WriteLine("usage: Embed MODEL_DIR TEXT TEXT [TEXT ...]");
            return 2;
        }
        Run(args[0], args[1..]);
        return 0;
    }

    /// <summary>Embeds <paramref name="texts"/> with the encoder in <paramref name="modelFolder"/> and returns the vectors.</summary>
    public static float[][] Run(string modelFolder, IReadOnlyList<string> texts)
    {
        // region: embed
        using var embedder = SentenceEmbedder.FromFolder(modelFolder);  // tokenizer + encoder, on the CPU
        float[][] vectors = embedder.Embed(texts);                       // masked mean pooling, then L2 norm
        for (int i = 0; i < texts.Count; i++)
            for (int j = i + 1; j < texts.Count; j++)
            {
                float cosine = 0;                                        // unit vectors: the dot product
                for (int k = 0; k < vectors[i].Length; k++) cosine += vectors[i][k] * vectors[j][k];
                Console.WriteLine($"{cosine,6:F3}  \"{texts[i]}\" ~ \"{texts[j]}\"");
            }
        // endregion
        return vectors;
    }
}
