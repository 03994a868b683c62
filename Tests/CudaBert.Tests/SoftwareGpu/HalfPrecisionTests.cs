namespace CudaBert.Tests.SoftwareGpu;

/// <summary>f16/bf16 arithmetic, scalar and packed (x2), against System.Half and an exact nearest-bf16 search.</summary>
public class HalfPrecisionTests
{
    static ushort[] RandomHalves(int n, int seed) => Enumerable.Range(0, n).Select(i =>
    {
        var rng = new Random(seed * 1000 + i);
        return BitConverter.HalfToUInt16Bits((Half)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-8, 8))));
    }).ToArray();

    static ushort[] RandomBFloats(int n, int seed) => Enumerable.Range(0, n).Select(i =>
    {
        var rng = new Random(seed * 1000 + i);
        return (ushort)(BitConverter.SingleToUInt32Bits((float)((rng.NextDouble() * 2 - 1) * Math.Pow(2, rng.Next(-30, 30)))) >> 16);
    }).ToArray();

    static double Bf16(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The bf16 nearest to the exact value (ties to even), by exact comparison with the neighbours of an approximation.</summary>
    static ushort NearestBf16(System.Numerics.BigInteger exact)
    {
        double approx = Math.ScaleB((double)exact, -640);
        ushort start = (ushort)(BitConverter.SingleToUInt32Bits((float)approx) >> 16);
        ushort best = start;
        System.Numerics.BigInteger Distance(ushort h) => System.Numerics.BigInteger.Abs(ExactFloat.Of((float)Bf16(h)) - exact);
        foreach (var candidate in new[] { (ushort)(start - 1), (ushort)(start + 1) })
        {
            int cmp = Distance(candidate).CompareTo(Distance(best));
            if (cmp < 0 || (cmp == 0 && (candidate & 1) == 0)) best = candidate;
        }
        return best;
    }

    static string Packed(string opcode, int operands) => $"""
        cvt.u32.u64 %r4, %rd7;
        cvt.u32.u64 %r5, %rd8;
        cvt.u32.u64 %r6, %rd9;
        {opcode} %r7, {string.Join(", ", new[] { "%r4", "%r5", "%r6" }.Take(operands))};
        cvt.u64.u32 %rd10, %r7;
        """;

    [Fact]
    public void F16x2AddMulFmaRoundEachHalfToNearest()
    {
        var a = RandomHalves(512, 1);
        var b = RandomHalves(512, 2);
        var c = RandomHalves(512, 3);
        ulong[] Pack(ushort[] v) => Enumerable.Range(0, 256).Select(i => (ulong)v[2 * i] | (ulong)v[2 * i + 1] << 16).ToArray();
        var add = OneInstruction.Run(Packed("add.rn.f16x2", 2), Pack(a), Pack(b));
        var mul = OneInstruction.Run(Packed("mul.rn.f16x2", 2), Pack(a), Pack(b));
        var fma = OneInstruction.Run(Packed("fma.rn.f16x2", 3), Pack(a), Pack(b), Pack(c));
        double H(ushort h) => (double)BitConverter.UInt16BitsToHalf(h);
        ushort Round(double exact) => BitConverter.HalfToUInt16Bits((Half)exact);
        for (int i = 0; i < 512; i++)
        {
            int shift = 16 * (i & 1);
            Assert.Equal(Round(H(a[i]) + H(b[i])), (ushort)(add[i / 2] >> shift));
            Assert.Equal(Round(H(a[i]) * H(b[i])), (ushort)(mul[i / 2] >> shift));
            Assert.Equal(Round(H(a[i]) * H(b[i]) + H(c[i])), (ushort)(fma[i / 2] >> shift));
        }
    }

    [Fact]
    public void Bf16FmaRoundsOnceAndReluClampsNegatives()
    {
        // Random operands with a wide exponent range, plus a product exactly halfway between two
        // bf16 values nudged up by a tiny c: (1 + 2^-4)^2 + 2^-60 must round up to 1 + 2^-3 + 2^-7.
        var a = RandomBFloats(256, 4).Append((ushort)0x3F88).ToArray();
        var b = RandomBFloats(256, 5).Append((ushort)0x3F88).ToArray();
        var c = RandomBFloats(256, 6).Append((ushort)(BitConverter.SingleToUInt32Bits(MathF.ScaleB(1f, -60)) >> 16)).ToArray();
        string Scalar(string opcode) => $"""
            cvt.u16.u64 %rs1, %rd7;
            cvt.u16.u64 %rs2, %rd8;
            cvt.u16.u64 %rs3, %rd9;
            {opcode} %rs4, %rs1, %rs2, %rs3;
            cvt.u64.u16 %rd10, %rs4;
            """;
        ulong[] Wide(ushort[] v) => v.Select(x => (ulong)x).ToArray();
        var fma = OneInstruction.Run(Scalar("fma.rn.bf16"), Wide(a), Wide(b), Wide(c));
        var relu = OneInstruction.Run(Scalar("fma.rn.relu.bf16"), Wide(a), Wide(b), Wide(c));
        for (int i = 0; i < a.Length; i++)
        {
            var exact = ExactFloat.Multiply(ExactFloat.Of((float)Bf16(a[i])), ExactFloat.Of((float)Bf16(b[i]))) + ExactFloat.Of((float)Bf16(c[i]));
            ushort expected = NearestBf16(exact);
            Assert.Equal(expected, (ushort)fma[i]);
            Assert.Equal(Bf16(expected) < 0 || (expected & 0x8000) != 0 ? (ushort)0 : expected, (ushort)relu[i]);
        }
        Assert.Equal((ushort)0x3F91, (ushort)fma[^1]);
    }

    [Fact]
    public void NegAndAbsFlipOrClearOnlyTheSignBits()
    {
        ulong[] a = [0x3C00_BC00, 0x7E01_FE01];
        Assert.Equal([0xBC00_3C00UL, 0xFE01_7E01UL], OneInstruction.Run(Packed("neg.f16x2", 1), a));
        Assert.Equal([0x3C00_3C00UL, 0x7E01_7E01UL], OneInstruction.Run(Packed("abs.bf16x2", 1), a));
    }

    [Fact]
    public void ScalarHalfComparisonsReadTheHalfValue()
    {
        var a = RandomHalves(128, 7);
        var b = RandomHalves(128, 8);
        var r = OneInstruction.Run("""
            cvt.u16.u64 %rs1, %rd7;
            cvt.u16.u64 %rs2, %rd8;
            setp.lt.f16 %p1, %rs1, %rs2;
            selp.u64 %rd10, 1, 0, %p1;
            """, a.Select(v => (ulong)v).ToArray(), b.Select(v => (ulong)v).ToArray());
        for (int i = 0; i < a.Length; i++)
            Assert.Equal(BitConverter.UInt16BitsToHalf(a[i]) < BitConverter.UInt16BitsToHalf(b[i]) ? 1UL : 0UL, r[i]);
    }
}

