using CudaBert.Engine.IO;

namespace CudaBert.Tests.TorchFixtures;

/// <summary>
/// Checks the committed fixtures and the harness that reads them, without the engine: if these
/// fail, an op parity failure says nothing about the op.
/// </summary>
public class FixtureIntegrityTests
{
    /// <summary>Every op file the generator writes (one per op; AdamW has its own layout).</summary>
    public static TheoryData<string> OpFiles => new(
        "linear", "matmul", "add", "sub", "mul", "scale", "bias_add", "residual_add", "gelu_erf", "gelu_tanh",
        "tanh", "masked_softmax", "layer_norm", "embedding", "mean_pooling", "cross_entropy", "sum", "mean",
        "head_split", "head_merge");

    [Theory, MemberData(nameof(OpFiles))]
    public void EveryCaseHoldsItsOutputAndTheGradientOfEachDifferentiableInput(string op)
    {
        using var fixture = TorchFixture.Load(op);
        var cases = fixture.Cases.ToList();
        Assert.Contains(cases, c => c.IsFloat64);
        Assert.Contains(cases, c => !c.IsFloat64);
        foreach (var c in cases)
        {
            Assert.Equal(c.Shape("out"), c.Shape("grad_out"));
            Assert.NotEmpty(c.Wrt);
            foreach (string input in c.Wrt)
            {
                Assert.Equal(c.Shape(input), c.Shape("grad_" + input));
                Assert.Equal(c.IsFloat64 ? SafetensorsDType.F64 : SafetensorsDType.F32, c.StoredDType("grad_" + input));
            }
        }
    }

    [Theory, MemberData(nameof(AddCases))]
    public void AddFixtureDecodesToExactSums(string caseName)
    {
        // a + b is one correctly rounded operation in both PyTorch and C#, so the decoded tensors
        // must agree bit for bit; so must the gradients, which are the upstream gradient itself.
        using var fixture = TorchFixture.Load("add");
        var c = fixture.Case(caseName);
        double[] a = c.Values("a"), b = c.Values("b"), sum = c.Values("out"), upstream = c.Values("grad_out");
        for (int i = 0; i < sum.Length; i++)
            Assert.Equal(c.IsFloat64 ? a[i] + b[i] : (float)a[i] + (float)b[i], sum[i]);
        Assert.Equal(upstream, c.Values("grad_a"));
        Assert.Equal(upstream, c.Values("grad_b"));
    }

    public static TheoryData<string> AddCases => TorchFixture.CaseNames("add");

    [Fact]
    public void TorchAssertRejectsAnErrorJustAboveTheFloat32Tolerance()
    {
        double[] expected = [0.5, -2.0, 1e-9], close = [0.5 + 1.9e-5, -2.0, 1e-9], far = [0.5 + 2.1e-5, -2.0, 1e-9];
        int[] shape = [3];
        TorchAssert.Close(shape, expected, shape, close, "close", relative: TorchTolerance.Float32);
        Assert.ThrowsAny<Exception>(() => TorchAssert.Close(shape, expected, shape, far, "far", relative: TorchTolerance.Float32));
        Assert.ThrowsAny<Exception>(() => TorchAssert.Close(shape, expected, shape, [double.NaN, -2.0, 1e-9], "nan", relative: TorchTolerance.Float32));
        Assert.ThrowsAny<Exception>(() => TorchAssert.Close(shape, expected, [1, 3], close, "shape", relative: TorchTolerance.Float32));
    }
}
