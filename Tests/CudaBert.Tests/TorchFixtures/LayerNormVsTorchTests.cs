using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// <c>Ops.LayerNorm</c> against <c>torch.nn.functional.layer_norm</c> with eps 1e-12 (BERT) and
/// 1e-5 (PyTorch's default), on inputs of mean 3 and standard deviation 2 so that an unstable
/// variance (E[x²] − E[x]²) would show in float32; and a hidden size of 37, which no SIMD width divides.
/// </summary>
public class LayerNormVsTorchTests
{
    public static TheoryData<string> Cases => TorchFixture.CaseNames("layer_norm");

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorch(string caseName) =>
        TorchFixtureRun.Check("layer_norm", caseName,
            x => Ops.LayerNorm(x["x"], x["weight"], x["bias"], x.Case.Parameter("eps")));
}
