using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Sum and mean over all elements (a scalar loss-like output, backward seeded with 1), and over the
/// last axis of [3, 4, 5] (torch.sum / torch.mean with dim=-1, keepdim=False; our keepDim form is
/// checked against the same case, viewed without its axis of 1).
/// </summary>
public class ReductionVsTorchTests
{
    public static TheoryData<string> SumCases => CasesOverAllElements("sum");
    public static TheoryData<string> MeanCases => CasesOverAllElements("mean");

    [Theory, MemberData(nameof(SumCases))]
    public void SumMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("sum", caseName, x => Ops.Sum(x["x"]));

    [Theory, MemberData(nameof(MeanCases))]
    public void MeanMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("mean", caseName, x => Ops.Mean(x["x"]));

    public static TheoryData<string> SumAxisCases => CasesOverTheLastAxis("sum");
    public static TheoryData<string> MeanAxisCases => CasesOverTheLastAxis("mean");

    [Theory, MemberData(nameof(SumAxisCases))]
    public void SumOverAnAxisMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("sum", caseName, x => Ops.Sum(x["x"], (int)x.Case.Parameter("axis")));

    [Theory, MemberData(nameof(MeanAxisCases))]
    public void MeanOverAnAxisMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("mean", caseName, x => Ops.Mean(x["x"], (int)x.Case.Parameter("axis")));

    [Theory, MemberData(nameof(SumAxisCases))]
    public void SumOverAnAxisWithKeepDimMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("sum", caseName, x => WithoutKeptAxis(Ops.Sum(x["x"], (int)x.Case.Parameter("axis"), keepDim: true)));

    [Theory, MemberData(nameof(MeanAxisCases))]
    public void MeanOverAnAxisWithKeepDimMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("mean", caseName, x => WithoutKeptAxis(Ops.Mean(x["x"], (int)x.Case.Parameter("axis"), keepDim: true)));

    /// <summary>[..., 1] viewed as [...]: the fixture stores keepdim=False results.</summary>
    private static Tensor WithoutKeptAxis(Tensor y)
    {
        Assert.Equal(1, y.Shape.Last);
        return Ops.Reshape(y, y.Shape.ToArray()[..^1]);
    }

    private static TheoryData<string> CasesOverAllElements(string op) =>
        TorchFixture.CaseNames(op, name => name.EndsWith("_all", StringComparison.Ordinal));

    private static TheoryData<string> CasesOverTheLastAxis(string op) =>
        TorchFixture.CaseNames(op, name => name.EndsWith("_last_axis", StringComparison.Ordinal));
}
