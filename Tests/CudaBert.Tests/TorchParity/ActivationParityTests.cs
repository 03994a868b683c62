using CudaBert.Engine;

namespace CudaBert.Tests.TorchParity;

/// <summary>GELU (exact erf form, BERT's; and its tanh approximation) and tanh on inputs spread over about [-6, 6].</summary>
public class ActivationParityTests
{
    public static TheoryData<string> GeluCases => TorchFixture.CaseNames("gelu_erf");
    public static TheoryData<string> GeluTanhCases => TorchFixture.CaseNames("gelu_tanh");
    public static TheoryData<string> TanhCases => TorchFixture.CaseNames("tanh");

    [Theory, MemberData(nameof(GeluCases))]
    public void GeluMatchesTorch(string caseName) =>
        TorchParityRun.Check("gelu_erf", caseName, x => Ops.Gelu(x["x"]));

    [Theory, MemberData(nameof(GeluTanhCases))]
    public void GeluTanhMatchesTorch(string caseName) =>
        TorchParityRun.Check("gelu_tanh", caseName, x => Ops.GeluTanh(x["x"]));

    [Theory, MemberData(nameof(TanhCases))]
    public void TanhMatchesTorch(string caseName) =>
        TorchParityRun.Check("tanh", caseName, x => Ops.Tanh(x["x"]));
}
