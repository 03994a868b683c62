using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary><c>cvt</c> combinations, bit-exact against independent references (the BCL's Half, the classic bf16/tf32 bit tricks, exact arithmetic).</summary>
public class ConversionTests
{
    static string FromF32(string cvt, string destination) => $"""
        cvt.u32.u64 %r4, %rd7;
        mov.b32 %f1, %r4;
        {cvt} {destination}, %f1;
        """;

    [Fact]
    public void F32ToF16RoundsToNearestEvenLikeSystemHalf()
    {
        var x = OneInstruction.RandomFloats(512, 1, -28, 18).Append(65520f).Append(65519f).Append(float.NaN).ToArray();
        var r = OneInstruction.Run(FromF32("cvt.rn.f16.f32", "%rs1") + "cvt.u64.u16 %rd10, %rs1;", OneInstruction.Bits(x));
        for (int i = 0; i < x.Length - 1; i++)
            Assert.Equal(BitConverter.HalfToUInt16Bits((Half)x[i]), (ushort)r[i]);
        Assert.Equal(0x7FFFu, (uint)r[^1]); // canonical NaN
    }

    [Fact]
    public void F32ToF16TowardZeroNeverIncreasesTheMagnitude()
    {
        var x = OneInstruction.RandomFloats(512, 2, -28, 15);
        var r = OneInstruction.Run(FromF32("cvt.rz.f16.f32", "%rs1") + "cvt.u64.u16 %rd10, %rs1;", OneInstruction.Bits(x));
        for (int i = 0; i < x.Length; i++)
        {
            // Reference: the nearest half, stepped one toward zero when it overshot |x|.
            Half nearest = (Half)x[i];
            if (Math.Abs((float)nearest) > Math.Abs(x[i]))
                nearest = BitConverter.UInt16BitsToHalf((ushort)(BitConverter.HalfToUInt16Bits(nearest) - 1));
            Assert.Equal(BitConverter.HalfToUInt16Bits(nearest), (ushort)r[i]);
        }
    }

    [Fact]
    public void F32ToBf16RoundsToNearestEven()
    {
        var x = OneInstruction.RandomFloats(512, 3, -130, 120);
        var r = OneInstruction.Run(FromF32("cvt.rn.bf16.f32", "%rs1") + "cvt.u64.u16 %rd10, %rs1;", OneInstruction.Bits(x));
        for (int i = 0; i < x.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(x[i]);
            uint expected = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16; // round-half-even on the dropped 16 bits
            Assert.Equal(expected, (uint)r[i]);
        }
    }

    [Fact]
    public void F32ToTf32RoundsHalfAwayFromZeroKeepingTheTop19Bits()
    {
        var x = OneInstruction.RandomFloats(512, 4, -100, 100).Append(BitConverter.UInt32BitsToSingle(0x3F80_1000)).ToArray(); // an exact tie
        var r = OneInstruction.Run(FromF32("cvt.rna.tf32.f32", "%r5") + "cvt.u64.u32 %rd10, %r5;", OneInstruction.Bits(x));
        for (int i = 0; i < x.Length; i++)
        {
            uint bits = BitConverter.SingleToUInt32Bits(x[i]);
            Assert.Equal((bits + 0x1000) & 0xFFFF_E000, (uint)r[i]);
        }
    }

    [Fact]
    public void PackedPairPutsTheFirstOperandInTheUpperHalf()
    {
        var snippet = """
            cvt.u32.u64 %r4, %rd7;
            mov.b32 %f1, %r4;
            cvt.u32.u64 %r5, %rd8;
            mov.b32 %f2, %r5;
            cvt.rn.bf16x2.f32 %r6, %f1, %f2;
            cvt.u64.u32 %rd10, %r6;
            """;
        var r = OneInstruction.Run(snippet, OneInstruction.Bits([1f]), OneInstruction.Bits([-2f]));
        Assert.Equal(0x3F80_C000UL, r[0]);
    }

    public static TheoryData<string> IntegerModes => ["rni", "rzi", "rmi", "rpi"];

    [Theory, MemberData(nameof(IntegerModes))]
    public void F32ToS32RoundsThenSaturatesAndMapsNanToZero(string mode)
    {
        var x = OneInstruction.RandomFloats(256, 5, -3, 34).Concat([2.5f, -2.5f, 3.5f, float.NaN, float.PositiveInfinity, float.NegativeInfinity]).ToArray();
        var r = OneInstruction.Run(FromF32($"cvt.{mode}.s32.f32", "%r5") + "cvt.u64.u32 %rd10, %r5;", OneInstruction.Bits(x));
        for (int i = 0; i < x.Length; i++)
        {
            double v = mode switch
            {
                "rni" => Math.Round((double)x[i], MidpointRounding.ToEven),
                "rzi" => Math.Truncate((double)x[i]),
                "rmi" => Math.Floor((double)x[i]),
                _ => Math.Ceiling((double)x[i]),
            };
            int expected = double.IsNaN(v) ? 0 : v >= int.MaxValue ? int.MaxValue : v <= int.MinValue ? int.MinValue : (int)v;
            Assert.Equal(expected, (int)(uint)r[i]);
        }
    }

    [Theory, MemberData(nameof(FloatInstructionTests.Modes), MemberType = typeof(FloatInstructionTests))]
    public void S64ToF32IsCorrectlyRoundedInEveryMode(string mode)
    {
        var rng = new Random(6);
        var x = Enumerable.Range(0, 256).Select(_ => rng.NextInt64(long.MinValue, long.MaxValue) >> rng.Next(0, 40)).Where(v => v != 0).ToArray();
        var r = OneInstruction.Run($"cvt.{mode}.f32.s64 %f1, %rd7;\nmov.b32 %r5, %f1;\ncvt.u64.u32 %rd10, %r5;", x.Select(v => (ulong)v).ToArray());
        var rounding = mode switch { "rn" => Rounding.Rn, "rz" => Rounding.Rz, "rm" => Rounding.Rm, _ => Rounding.Rp };
        for (int i = 0; i < x.Length; i++)
            Assert.Equal(ExactFloat.Round(ExactFloat.Of(x[i]), rounding), BitConverter.UInt32BitsToSingle((uint)r[i]));
    }

    [Fact]
    public void IntegerConversionsExtendTruncateAndSaturate()
    {
        ulong[] a = [0xFFFF_FF80, 0x0000_0080, 0x1_2345_6789, 0xFFFF_FFFF_FFFF_FFFF];
        Assert.Equal([0xFFFF_FFFF_FFFF_FF80, 0x80, 0x2345_6789, 0xFFFF_FFFF_FFFF_FFFF], OneInstruction.Run("cvt.u32.u64 %r4, %rd7;\ncvt.s64.s32 %rd10, %r4;", a));
        Assert.Equal([0xFFFF_FF80, 0x80, 0x2345_6789, 0xFFFF_FFFF], OneInstruction.Run("cvt.u32.u64 %r4, %rd7;\ncvt.u64.u32 %rd10, %r4;", a));
        // s32 → s8 with .sat clamps to [-128, 127]; u64 → u16 with .sat clamps to 65535.
        Assert.Equal([0xFFFF_FFFF_FFFF_FF80, 0x7F, 0x7F, 0xFFFF_FFFF_FFFF_FFFF], OneInstruction.Run("cvt.u32.u64 %r4, %rd7;\ncvt.sat.s8.s32 %r5, %r4;\ncvt.s64.s32 %rd10, %r5;", a));
        Assert.Equal([0xFFFF, 0x80, 0xFFFF, 0xFFFF], OneInstruction.Run("cvt.sat.u16.u64 %rs1, %rd7;\ncvt.u64.u16 %rd10, %rs1;", a));
    }
}
