using CudaBert.Model.Data;
using CudaBert.Model.Training;

namespace CudaBert.Tests.Training;

public sealed class ImbalancePlanTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("cudabert-imbalance-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly LabelSet Labels = new(["UNK", "common", "rare"]);

    /// <summary>1600 "common" and 16 "rare" examples, all tagged.</summary>
    static List<TwoTaskExample> Skewed() =>
        Enumerable.Repeat("common", 1600).Concat(Enumerable.Repeat("rare", 16))
            .Select((label, i) => new TwoTaskExample(["w"], label, ["O"], "test", i + 1)).ToList();

    [Fact]
    public void AutoOnSkewedLabelsWeightsAndOversamples()
    {
        var plan = ImbalancePlan.Resolve(new TrainingOptions(), Skewed(), Labels);
        Assert.Equal(("inverse-sqrt", "sqrt"), (plan.ClassWeightsMode, plan.LabelOversamplingMode));
        Assert.Equal(ClassWeights.InverseSqrtFrequency([0, 1600, 16]), plan.SentenceClassWeights);
        // "rare" takes 4/44 of the 1616 draws of an epoch: 9.18 draws per example.
        Assert.Equal(4.0 / 44 * 1616 / 16, plan.SamplingFactors[2], 9);
        Assert.Equal(1, plan.SamplingFactors[0]);
        Assert.Equal(
            [
                "imbalance: class weights inverse-sqrt, label oversampling sqrt — severely skewed labels (largest/smallest label 100, largest share 99 %, 0 under 10 examples)",
                "  sentence label 'UNK': 0 examples, cannot be learned",
                "  sentence label 'rare': 16 examples, weight 9.18, sampled ×9.18",
            ],
            plan.Describe());
    }

    [Fact]
    public void NamedModesOverrideTheRule()
    {
        var plan = ImbalancePlan.Resolve(new TrainingOptions { ClassWeights = "inverse", OversampleLabels = "none" }, Skewed(), Labels);
        Assert.Equal(ClassWeights.InverseFrequency([0, 1600, 16]), plan.SentenceClassWeights);
        Assert.Null(plan.SamplingWeights);
        Assert.Equal("as the options say", plan.Reason);

        var none = ImbalancePlan.Resolve(new TrainingOptions { ClassWeights = "none", OversampleLabels = "none" }, Skewed(), Labels);
        Assert.Null(none.SentenceClassWeights);
    }

    [Fact]
    public void TaskWeightsStillDriveTheSampler()
    {
        var examples = Skewed();
        var plan = ImbalancePlan.Resolve(new TrainingOptions { Oversample = [1, 1] }, examples, Labels);
        Assert.Equal("none", plan.LabelOversamplingMode);
        Assert.Equal(TaskOversampling.ExampleWeights(examples, 1, 1), plan.SamplingWeights);
    }

    [Fact]
    public void AWeightsFileIsReadAndItsErrorsNameTheOption()
    {
        string path = Path.Combine(_dir, "weights.tsv");
        File.WriteAllText(path, "rare\t5\n");
        var plan = ImbalancePlan.Resolve(new TrainingOptions { ClassWeights = path }, Skewed(), Labels);
        Assert.Equal([1, 1, 5], plan.SentenceClassWeights);

        File.WriteAllText(path, "rare\t5\nrarer\t6\n");
        var e = Assert.Throws<ArgumentException>(() => ImbalancePlan.Resolve(new TrainingOptions { ClassWeights = path }, Skewed(), Labels));
        Assert.StartsWith($"option class-weights: {path}:2: unknown sentence label 'rarer'", e.Message);

        var missing = Assert.Throws<ArgumentException>(() => ImbalancePlan.Resolve(new TrainingOptions { ClassWeights = "inverse-square" }, Skewed(), Labels));
        Assert.Contains("option class-weights: 'inverse-square' is none of auto, none, inverse, inverse-sqrt", missing.Message);
    }
}
