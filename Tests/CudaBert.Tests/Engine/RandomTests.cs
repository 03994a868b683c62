using CudaBert.Engine;
using CudaBert.Engine.Random;

namespace CudaBert.Tests.Engine;

public class RandomTests
{
    // Known-answer vectors of Random123 (tests/kat_vectors, "philox4x32 10" lines): counter[4], key[2] → output[4].
    [Theory]
    [InlineData(0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void PhiloxMatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3)
    {
        Assert.Equal((r0, r1, r2, r3), Philox.Generate(c0, c1, c2, c3, k0, k1));
    }

    [Fact]
    public void DropoutMaskIsAFunctionOfSeedAndOffset()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Ones([64, 64]);
        var a = Ops.Dropout(x, 0.25, seed: 9, offset: 0).ToArray<float>();
        var b = Ops.Dropout(x, 0.25, seed: 9, offset: 0).ToArray<float>();
        Assert.Equal(a, b);
        // Element i uses stream position offset + i: shifting the offset by 4 shifts the mask by 4.
        var shifted = Ops.Dropout(x, 0.25, seed: 9, offset: 4).ToArray<float>();
        Assert.Equal(a.AsSpan(4).ToArray(), shifted.AsSpan(0, a.Length - 4).ToArray());
        // Kept elements are scaled by 1/(1 − p); about p of them are dropped (4096 draws: ±5σ ≈ 0.034).
        Assert.All(a, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75f) < 1e-6));
        double dropped = a.Count(v => v == 0) / (double)a.Length;
        Assert.InRange(dropped, 0.25 - 0.034, 0.25 + 0.034);
        // Each element's decision is the documented Philox uniform.
        for (int i = 0; i < 50; i++)
            Assert.Equal(Philox.ToUniform(Philox.Word(9, (ulong)i)) >= 0.25f, a[i] != 0);
    }
}
