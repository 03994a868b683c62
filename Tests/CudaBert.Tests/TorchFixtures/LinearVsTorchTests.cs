using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary><c>Ops.Linear</c> against <c>torch.nn.functional.linear</c> (x·Wᵀ + b), 3-D input with bias and 2-D without.</summary>
public class LinearVsTorchTests
{
    public static TheoryData<string> Cases => TorchFixture.CaseNames("linear");

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorch(string caseName) =>
        TorchFixtureRun.Check("linear", caseName,
            x => Ops.Linear(x["x"], x["weight"], x.Case.Has("bias") ? x["bias"] : null));
}
