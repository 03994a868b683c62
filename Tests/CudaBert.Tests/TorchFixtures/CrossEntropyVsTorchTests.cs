using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// <c>Ops.CrossEntropy</c> against <c>torch.nn.functional.cross_entropy</c>: logits [8, 5], two
/// targets −100 (ignored), unweighted and with class weights (PyTorch then divides by the sum of
/// the counted targets' weights); and token-classification logits [2, 4, 5] with padded positions
/// labelled −100.
/// </summary>
public class CrossEntropyVsTorchTests
{
    public static TheoryData<string> Cases => TorchFixture.CaseNames("cross_entropy");

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorch(string caseName) =>
        TorchFixtureRun.Check("cross_entropy", caseName,
            x => Ops.CrossEntropy(x["logits"], x["targets"], x.Case.Has("class_weights") ? x["class_weights"] : null,
                (long)x.Case.Parameter("ignore_index")));
}
