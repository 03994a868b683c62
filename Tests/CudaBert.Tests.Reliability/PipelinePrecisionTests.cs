using CudaBert.Engine.Backends;
using CudaBert.Engine.Nn;
using CudaBert.Model.Data;
using CudaBert.Model.Inference;

namespace CudaBert.Tests.Reliability;

/// <summary>
/// <see cref="TwoTaskPipeline.Precision"/> (<c>eval</c>/<c>predict --precision</c>) on a small checkpoint: bf16 predicts what
/// the trainer's evaluation path computes in a bf16 scope, not what fp32 does, and leaves the thread's precision as it was.
/// </summary>
public class PipelinePrecisionTests
{
    static readonly string[] Texts = ["turn on the lights in the kitchen", "play some jazz", "what is the weather tomorrow"];

    [Fact]
    public void Bf16PredictsAsTheTrainersBf16EvaluationDoes()
    {
        using var folder = new SeedFolder();
        using var pipeline = TwoTaskPipeline.Load(folder.Path);
        var fp32 = pipeline.Predict(Texts).Select(p => p.Probability).ToArray();

        pipeline.Precision = MatmulPrecision.Bf16;
        var linears = pipeline.Model.Modules().OfType<Linear>().ToArray();
        Assert.NotEmpty(linears);
        Assert.All(linears, l => Assert.NotNull(l.Weight.BFloat16Copy));   // made before any pass, outside any CUDA graph capture
        var bf16 = pipeline.Predict(Texts).Select(p => p.Probability).ToArray();
        Assert.Equal(MatmulPrecision.Fp32, MatmulPrecisionMode.Current);

        var examples = Texts.Select((t, i) => new TwoTaskExample(t.Split(' '), null, null, "input", i + 1)).ToArray();
        List<TwoTaskPrediction> reference;
        using (MatmulPrecisionMode.Use(MatmulPrecision.Bf16))
            reference = TwoTaskPredictor.Predict(pipeline.Model, pipeline.Collator, examples);
        Assert.Equal(reference.Select(p => p.SentenceProbability), bf16);
        Assert.NotEqual(fp32, bf16);

        pipeline.Precision = MatmulPrecision.Fp32;
        Assert.Equal(fp32, pipeline.Predict(Texts).Select(p => p.Probability));
    }
}
