// Uses the two jobs of CudaBert.Model from its package: sentence embeddings with the default encoder
// (imported on first use from the DLL that CudaBert.Models.MiniLM copied beside this program) and
// prediction with a trained checkpoint. Usage: PackageConsumer CHECKPOINT_OR_RUN_FOLDER
using CudaBert.Model.Embeddings;
using CudaBert.Model.Inference;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: PackageConsumer CHECKPOINT_OR_RUN_FOLDER");
    return 2;
}

string encoder = DefaultEncoderCache.EnsureImported();
using (var embedder = SentenceEmbedder.FromFolder(encoder))
{
    float[][] vectors = embedder.Embed(["how is the weather in paris", "will it rain in lyon tomorrow", "add this song to my workout playlist"]);
    double related = Dot(vectors[0], vectors[1]), unrelated = Dot(vectors[0], vectors[2]);
    Console.WriteLine($"default encoder: {encoder}");
    Console.WriteLine($"cosine similarity: {related:F3} between two weather questions, {unrelated:F3} between weather and playlist");
    if (!(related > unrelated))
    {
        Console.Error.WriteLine("the default encoder does not rank two weather questions closer than weather and playlist");
        return 1;
    }
}

using var pipeline = TwoTaskPipeline.Load(args[0]);
var predictions = pipeline.Predict(["play some jazz by miles davis", "what will the weather be in boston tomorrow"]);
foreach (var p in predictions)
    Console.WriteLine($"{p.Intent} ({p.Probability:P1}) {p.Text}: {string.Join(", ", p.Entities.Select(e => $"{e.Type}='{e.Text}'"))}");
return predictions.Count == 2 && predictions.All(p => p.Intent.Length > 0) ? 0 : 1;

// Embed returns L2-normalised vectors, so their dot product is the cosine similarity.
static double Dot(float[] a, float[] b)
{
    double sum = 0;
    for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
    return sum;
}
