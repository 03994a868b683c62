using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// IEEE f32 instructions are bit-exact against an independent exact-arithmetic reference
/// (<see cref="ExactFloat"/>) in all four rounding modes; <c>.ftz</c>, <c>.sat</c>, NaN rules of
/// min/max and comparisons; and the <c>.approx</c> instructions stay within the error bounds the PTX
/// ISA / CUDA guide give for hardware.
/// </summary>
public class FloatInstructionTests
{
    public static TheoryData<string> Modes => ["rn", "rz", "rm", "rp"];

    static Rounding ModeOf(string m) => m switch { "rn" => Rounding.Rn, "rz" => Rounding.Rz, "rm" => Rounding.Rm, _ => Rounding.Rp };

    [Theory, MemberData(nameof(Modes))]
    public void AddSubMulFmaAreCorrectlyRoundedInEveryMode(string mode)
    {
        var a = OneInstruction.RandomFloats(512, 1);
        var b = OneInstruction.RandomFloats(512, 2);
        var c = OneInstruction.RandomFloats(512, 3, -60, 10);
        var round = ModeOf(mode);
        var add = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32($"add.{mode}.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var sub = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32($"sub.{mode}.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var mul = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32($"mul.{mode}.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var fma = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32($"fma.{mode}.f32", 3), OneInstruction.Bits(a), OneInstruction.Bits(b), OneInstruction.Bits(c)));
        for (int i = 0; i < a.Length; i++)
        {
            var x = ExactFloat.Of(a[i]);
            var y = ExactFloat.Of(b[i]);
            var product = ExactFloat.Multiply(x, y);
            Assert.Equal(ExactFloat.Round(x + y, round), add[i]);
            Assert.Equal(ExactFloat.Round(x - y, round), sub[i]);
            Assert.Equal(ExactFloat.Round(product, round), mul[i]);
            Assert.Equal(ExactFloat.Round(product + ExactFloat.Of(c[i]), round), fma[i]);
        }
    }

    [Fact]
    public void FtzFlushesSubnormalInputsAndOutputsKeepingTheSign()
    {
        float tiny = MathF.ScaleB(1f, -140); // subnormal
        float[] a = [tiny, -tiny, 1e-30f, 1.5f];
        float[] b = [0f, -0f, 1e-10f, 2f];   // -0 + -0 keeps the sign
        var plain = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("add.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var ftz = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("add.ftz.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var mulFtz = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("mul.ftz.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        Assert.Equal(tiny, plain[0]);
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(ftz[0]));
        Assert.Equal(0x8000_0000u, BitConverter.SingleToUInt32Bits(ftz[1]));
        Assert.Equal(0u, BitConverter.SingleToUInt32Bits(mulFtz[2]));  // 1e-40 is subnormal: flushed
        Assert.Equal(1e-30f * 1e-10f, OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("mul.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)))[2]);
        Assert.Equal(3f, mulFtz[3]);
    }

    [Fact]
    public void SatClampsToUnitIntervalAndNanToZero()
    {
        float[] a = [0.25f, 2f, -3f, float.NaN];
        var r = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("add.sat.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits([0.5f, 0f, 0f, 0f])));
        Assert.Equal([0.75f, 1f, 0f, 0f], r);
    }

    [Fact]
    public void MinMaxReturnTheNumberWhenOneInputIsNan()
    {
        float[] a = [1f, float.NaN, float.NaN, -2f];
        float[] b = [float.NaN, 3f, float.NaN, 5f];
        var min = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("min.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var max = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("max.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        Assert.Equal(1f, min[0]); Assert.Equal(3f, min[1]); Assert.True(float.IsNaN(min[2])); Assert.Equal(-2f, min[3]);
        Assert.Equal(1f, max[0]); Assert.Equal(3f, max[1]); Assert.True(float.IsNaN(max[2])); Assert.Equal(5f, max[3]);
    }

    [Fact]
    public void DivAndSqrtRoundToNearestAreCorrectlyRounded()
    {
        var a = OneInstruction.RandomFloats(256, 4);
        var b = OneInstruction.RandomFloats(256, 5);
        var div = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("div.rn.f32", 2), OneInstruction.Bits(a), OneInstruction.Bits(b)));
        var sqrt = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32("sqrt.rn.f32", 1), OneInstruction.Bits(a.Select(MathF.Abs))));
        for (int i = 0; i < a.Length; i++)
        {
            // Reference: the double result rounded to float is the correctly rounded f32 result, because
            // double rounding is innocuous when 53 ≥ 2·24 + 2 (Figueroa) for +, -, ×, ÷ and √.
            Assert.Equal((float)((double)a[i] / b[i]), div[i]);
            Assert.Equal((float)Math.Sqrt(Math.Abs(a[i])), sqrt[i]);
        }
    }

    /// <summary>Compares, including the unordered forms that are true on NaN.</summary>
    [Theory]
    [InlineData("lt"), InlineData("le"), InlineData("gt"), InlineData("ge"), InlineData("eq"), InlineData("ne")]
    [InlineData("ltu"), InlineData("leu"), InlineData("gtu"), InlineData("geu"), InlineData("equ"), InlineData("neu"), InlineData("num"), InlineData("nan")]
    public void SetpFollowsIeeeOrderingAndNanRules(string cmp)
    {
        float[] a = [1f, 2f, 2f, float.NaN, 1f, -0f, float.NegativeInfinity];
        float[] b = [2f, 1f, 2f, 1f, float.NaN, 0f, -1f];
        var snippet = $"""
            cvt.u32.u64 %r4, %rd7;
            mov.b32 %f1, %r4;
            cvt.u32.u64 %r5, %rd8;
            mov.b32 %f2, %r5;
            setp.{cmp}.f32 %p1, %f1, %f2;
            selp.u64 %rd10, 1, 0, %p1;
            """;
        var r = OneInstruction.Run(snippet, OneInstruction.Bits(a), OneInstruction.Bits(b));
        for (int i = 0; i < a.Length; i++)
        {
            double x = a[i], y = b[i];
            bool unordered = double.IsNaN(x) || double.IsNaN(y);
            bool expected = cmp switch
            {
                "lt" => x < y, "le" => x <= y, "gt" => x > y, "ge" => x >= y, "eq" => x == y, "ne" => !unordered && x != y,
                "ltu" => unordered || x < y, "leu" => unordered || x <= y, "gtu" => unordered || x > y, "geu" => unordered || x >= y,
                "equ" => unordered || x == y, "neu" => unordered || x != y, "num" => !unordered, _ => unordered,
            };
            Assert.True((r[i] == 1) == expected, $"setp.{cmp}.f32 {a[i]}, {b[i]}");
        }
    }

    /// <summary>
    /// The <c>.approx</c> instructions are computed in double and rounded once (correctly rounded);
    /// these bounds are the hardware's documented maximum errors, so the test states what a kernel
    /// may rely on: ex2 2 ulp, lg2 2^-22.6 absolute, rcp/sqrt/rsqrt 1 ulp, sin/cos 2^-20.9 absolute
    /// on [-π, π], tanh 2^-10.987 relative.
    /// </summary>
    [Theory]
    [InlineData("ex2.approx.ftz.f32"), InlineData("lg2.approx.ftz.f32"), InlineData("rcp.approx.ftz.f32"), InlineData("sqrt.approx.f32")]
    [InlineData("rsqrt.approx.ftz.f32"), InlineData("sin.approx.ftz.f32"), InlineData("cos.approx.ftz.f32"), InlineData("tanh.approx.f32")]
    public void ApproxInstructionsStayWithinHardwareErrorBounds(string opcode)
    {
        var rng = new Random(6);
        string name = opcode.Split('.')[0];
        var x = Enumerable.Range(0, 256).Select(_ => name switch
        {
            "ex2" => (float)(rng.NextDouble() * 40 - 20),
            "sin" or "cos" => (float)((rng.NextDouble() * 2 - 1) * Math.PI),
            "tanh" => (float)(rng.NextDouble() * 10 - 5),
            "lg2" or "sqrt" or "rsqrt" => (float)(rng.NextDouble() * 100 + 1e-3),
            _ => (float)((rng.NextDouble() * 2 - 1) * 100),
        }).ToArray();
        var r = OneInstruction.Floats(OneInstruction.Run(OneInstruction.F32(opcode, 1), OneInstruction.Bits(x)));
        for (int i = 0; i < x.Length; i++)
        {
            double v = x[i];
            double exact = name switch
            {
                "ex2" => Math.Pow(2, v), "lg2" => Math.Log2(v), "rcp" => 1 / v, "sqrt" => Math.Sqrt(v),
                "rsqrt" => 1 / Math.Sqrt(v), "sin" => Math.Sin(v), "cos" => Math.Cos(v), _ => Math.Tanh(v),
            };
            double ulp = Math.ScaleB(1.0, Math.ILogB(exact) - 23);
            double bound = name switch
            {
                "ex2" => 2 * ulp,
                "lg2" => Math.ScaleB(1.0, -22),
                "sin" or "cos" => Math.ScaleB(1.0, -20),
                "tanh" => Math.Abs(exact) * Math.ScaleB(1.0, -10),
                _ => ulp,
            };
            AssertClose.Scalar(exact, r[i], $"{opcode} {v}", absolute: bound);
        }
    }
}
