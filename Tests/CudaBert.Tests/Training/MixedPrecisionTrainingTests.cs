using CudaBert.Engine.Backends;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

/// <summary><see cref="TrainingOptions.Precision"/> bf16 on the CPU: the trainer applies it, it costs little, and training still learns.</summary>
public class MixedPrecisionTrainingTests
{
    [Fact]
    public void Bf16TrainingStaysNearFp32AndStillReducesTheLoss()
    {
        using var setup = new TinyTrainingSetup(trainCount: 128, dropout: 0.0, devCount: 32);
        TrainingResult Train(string precision)
        {
            using var model = setup.NewModel();
            using var trainer = setup.Trainer(model, setup.Options() with { Epochs = 3, Precision = precision });
            var result = trainer.Run();
            Assert.Equal(MatmulPrecision.Fp32, MatmulPrecisionMode.Current);   // the trainer's scope ended with the run
            return result;
        }
        var fp32 = Train("fp32");
        var bf16 = Train("bf16");

        // Every Linear operand is rounded to bfloat16 (2⁻⁹ relative each, about 2⁻⁸ per product); the same
        // examples in the same order, so the losses follow the fp32 run closely but not exactly. Measured:
        // the first loss (one forward of identical weights) 1.4e-5 relative apart, the 24 steps at most
        // 7.4e-5 (errors of independent products average out over the sums). The bound, 2⁻¹⁰ ≈ 1e-3, is a
        // quarter of one bfloat16 rounding: a GEMM with a wrong operand or layout would be far outside it.
        Assert.Equal(fp32.History.Count, bf16.History.Count);
        Assert.NotEqual(fp32.History[0].Loss, bf16.History[0].Loss);
        for (int i = 0; i < fp32.History.Count; i++)
            AssertClose.Scalar(fp32.History[i].Loss, bf16.History[i].Loss, $"loss of step {i + 1}, bf16 vs fp32", relative: Math.Pow(2, -10));
        // Training still learns: in fp32 the loss goes from 4.99 to 3.67 over these 24 steps; bf16 must fall as far.
        Assert.True(bf16.History[^1].Loss < 0.8 * bf16.History[0].Loss, $"bf16 loss {bf16.History[0].Loss} → {bf16.History[^1].Loss}");
        Assert.Equal(fp32.FinalEvaluation!.Scores.Intent!.Accuracy, bf16.FinalEvaluation!.Scores.Intent!.Accuracy);
    }

    [Fact]
    public void PrecisionIsParsedAndCheckedWithTf32()
    {
        Assert.Equal(MatmulPrecision.Fp32, new TrainingOptions().MatmulPrecision);
        Assert.Equal(MatmulPrecision.Tf32, new TrainingOptions { Tf32 = true }.MatmulPrecision);
        Assert.Equal(MatmulPrecision.Bf16, new TrainingOptions { Precision = "bf16" }.Validated().MatmulPrecision);
        var bad = Assert.Throws<ArgumentException>(() => new TrainingOptions { Precision = "fp16" }.Validated());
        Assert.Contains("precision", bad.Message);
        Assert.Throws<ArgumentException>(() => new TrainingOptions { Precision = "bf16", Tf32 = true }.Validated());
    }
}
