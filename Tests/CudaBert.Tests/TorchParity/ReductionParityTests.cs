using CudaBert.Engine;

namespace CudaBert.Tests.TorchParity;

/// <summary>Sum and mean over all elements (a scalar loss-like output, backward seeded with 1).</summary>
public class ReductionParityTests
{
    public static TheoryData<string> SumCases => CasesOverAllElements("sum");
    public static TheoryData<string> MeanCases => CasesOverAllElements("mean");

    [Theory, MemberData(nameof(SumCases))]
    public void SumMatchesTorch(string caseName) =>
        TorchParityRun.Check("sum", caseName, x => Ops.Sum(x["x"]));

    [Theory, MemberData(nameof(MeanCases))]
    public void MeanMatchesTorch(string caseName) =>
        TorchParityRun.Check("mean", caseName, x => Ops.Mean(x["x"]));

    // The fixtures also hold reductions over the last axis (`*_last_axis`); the engine reduces only to a scalar.
    private static TheoryData<string> CasesOverAllElements(string op) =>
        TorchFixture.CaseNames(op, name => name.EndsWith("_all", StringComparison.Ordinal));
}
