using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Embedding gather (ids [2, 6] into an [11, 8] table, ids 1, 3 and 5 repeated so the scatter-add
/// backward must accumulate, rows 7, 8 and 10 unused so their gradient must be 0) and
/// sentence-transformers' masked mean pooling (one case with a row that has no real token).
/// </summary>
public class EmbeddingVsTorchTests
{
    public static TheoryData<string> EmbeddingCases => TorchFixture.CaseNames("embedding");
    public static TheoryData<string> PoolingCases => TorchFixture.CaseNames("mean_pooling");

    [Theory, MemberData(nameof(EmbeddingCases))]
    public void EmbeddingMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("embedding", caseName, x => Ops.Embedding(x["ids"], x["weight"]));

    [Theory, MemberData(nameof(PoolingCases))]
    public void MaskedMeanPoolMatchesTorch(string caseName) =>
        TorchFixtureRun.Check("mean_pooling", caseName,
            x => Ops.MaskedMeanPool(x["hidden"], x["attention_mask"], x.Case.Parameter("eps")));
}
