using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>Add, sub, mul of equal shapes, scaling by a constant, bias add and the residual add.</summary>
public class ElementwiseVsTorchTests
{
    public static TheoryData<string> AddCases => TorchFixture.CaseNames("add");
    public static TheoryData<string> SubCases => TorchFixture.CaseNames("sub");
    public static TheoryData<string> MulCases => TorchFixture.CaseNames("mul");
    public static TheoryData<string> ScaleCases => TorchFixture.CaseNames("scale");
    public static TheoryData<string> BiasAddCases => TorchFixture.CaseNames("bias_add");
    public static TheoryData<string> ResidualAddCases => TorchFixture.CaseNames("residual_add");

    [Theory, MemberData(nameof(AddCases))]
    public void AddMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("add", caseName, x => Ops.Add(x["a"], x["b"]));

    [Theory, MemberData(nameof(SubCases))]
    public void SubMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("sub", caseName, x => Ops.Sub(x["a"], x["b"]));

    [Theory, MemberData(nameof(MulCases))]
    public void MulMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("mul", caseName, x => Ops.Mul(x["a"], x["b"]));

    [Theory, MemberData(nameof(ScaleCases))]
    public void ScaleMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("scale", caseName, x => Ops.Scale(x["x"], x.Case.Parameter("scale")));

    [Theory, MemberData(nameof(BiasAddCases))]
    public void BiasAddMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("bias_add", caseName, x => Ops.AddBias(x["x"], x["bias"]));

    [Theory, MemberData(nameof(ResidualAddCases))]
    public void ResidualAddMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("residual_add", caseName, x => Ops.Add(x["x"], x["residual"]));
}
