using CudaBert.Engine;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// <c>Ops.MatMul</c> with every combination of transpose flags on [3, ·, ·] batches, and attention's
/// two products (Q·Kᵀ and P·V) on [batch, heads, seq, head_dim] tensors, and a 2-D b shared by
/// every batch of a (whose gradient sums over the batches).
/// </summary>
public class MatMulVsTorchTests
{
    public static TheoryData<string> Cases => TorchFixture.CaseNames("matmul");

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTorch(string caseName) =>
        TorchFixtureRun.Check("matmul", caseName,
            x => Ops.MatMul(x["a"], x["b"], x.Case.Flag("trans_a"), x.Case.Flag("trans_b")));
}
