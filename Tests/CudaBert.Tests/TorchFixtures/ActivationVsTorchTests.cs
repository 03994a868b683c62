using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>GELU (exact erf form, BERT's; and its tanh approximation) and tanh on inputs spread over about [-6, 6].</summary>
public class ActivationVsTorchTests
{
    public static TheoryData<string> GeluCases => TorchFixture.CaseNames("gelu_erf");
    public static TheoryData<string> GeluTanhCases => TorchFixture.CaseNames("gelu_tanh");
    public static TheoryData<string> TanhCases => TorchFixture.CaseNames("tanh");

    [Theory, MemberData(nameof(GeluCases))]
    public void GeluMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("gelu_erf", caseName, x => Ops.Gelu(x["x"]));

    [Theory, MemberData(nameof(GeluTanhCases))]
    public void GeluTanhMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("gelu_tanh", caseName, x => Ops.GeluTanh(x["x"]));

    [Theory, MemberData(nameof(TanhCases))]
    public void TanhMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("tanh", caseName, x => Ops.Tanh(x["x"]));
}
