using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Attention's pieces: the scaled masked softmax (scores [3, 2, 6, 6], 1/√8, padding of 0, 2 and
/// 5 keys, so one row attends to a single key) and the head split/merge permutes.
/// </summary>
public class AttentionVsTorchTests
{
    public static TheoryData<string> SoftmaxCases => TorchFixture.CaseNames("masked_softmax");
    public static TheoryData<string> SplitCases => TorchFixture.CaseNames("head_split");
    public static TheoryData<string> MergeCases => TorchFixture.CaseNames("head_merge");

    [Theory, MemberData(nameof(SoftmaxCases))]
    public void ScaledMaskedSoftmaxMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("masked_softmax", caseName,
            x => Ops.ScaledMaskedSoftmax(x["scores"], x["additive_mask"], x.Case.Parameter("scale")));

    [Theory, MemberData(nameof(SplitCases))]
    public void SplitHeadsMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("head_split", caseName, x => Ops.SplitHeads(x["x"], (int)x.Case.Parameter("num_heads")));

    [Theory, MemberData(nameof(MergeCases))]
    public void MergeHeadsMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("head_merge", caseName, x => Ops.MergeHeads(x["x"]));
}
