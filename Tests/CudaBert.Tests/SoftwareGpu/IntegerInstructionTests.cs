using System.Numerics;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>Integer and bit instructions, bit-exact against plain C# formulations of the PTX ISA's definitions.</summary>
public class IntegerInstructionTests
{
    static readonly uint[] A = Values(1), B = Values(2), C = Values(3);

    /// <summary>Random 32-bit values plus the edge cases (0, 1, -1, MinValue, MaxValue).</summary>
    static uint[] Values(int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, 200).Select(_ => (uint)rng.NextInt64(0, 1L << 32) >> rng.Next(0, 24))
            .Concat([0u, 1u, uint.MaxValue, 0x8000_0000u, 0x7FFF_FFFFu]).ToArray();
    }

    static uint[] Run(string opcode, int operands, uint[]? b = null, uint[]? c = null) =>
        OneInstruction.Run(OneInstruction.B32(opcode, operands), OneInstruction.Bits(A), OneInstruction.Bits(b ?? B), OneInstruction.Bits(c ?? C))
            .Select(v => (uint)v).ToArray();

    static void Check(string opcode, int operands, Func<uint, uint, uint, uint> reference, uint[]? b = null, uint[]? c = null)
    {
        b ??= B;
        c ??= C;
        var r = Run(opcode, operands, b, c);
        for (int i = 0; i < A.Length; i++)
            Assert.True(reference(A[i], b[i], c[i]) == r[i], $"{opcode} {A[i]:x8}, {b[i]:x8}, {c[i]:x8}: expected {reference(A[i], b[i], c[i]):x8}, got {r[i]:x8}");
    }

    [Fact]
    public void ArithmeticWrapsAndSaturates()
    {
        Check("add.s32", 2, (a, b, _) => a + b);
        Check("sub.s32", 2, (a, b, _) => a - b);
        Check("add.sat.s32", 2, (a, b, _) => (uint)(int)Math.Clamp((long)(int)a + (int)b, int.MinValue, int.MaxValue));
        Check("mul.lo.s32", 2, (a, b, _) => a * b);
        Check("mul.hi.u32", 2, (a, b, _) => (uint)(((ulong)a * b) >> 32));
        Check("mul.hi.s32", 2, (a, b, _) => (uint)(((long)(int)a * (int)b) >> 32));
        Check("mad.lo.s32", 3, (a, b, c) => a * b + c);
        Check("min.s32", 2, (a, b, _) => (uint)Math.Min((int)a, (int)b));
        Check("max.u32", 2, (a, b, _) => Math.Max(a, b));
        Check("abs.s32", 1, (a, _, _) => a == 0x8000_0000u ? a : (uint)Math.Abs((int)a));
        Check("neg.s32", 1, (a, _, _) => (uint)-(int)a);
    }

    [Fact]
    public void DivisionAndRemainderTruncateTowardZero()
    {
        var nonZero = B.Select(v => v == 0 ? 7u : v).ToArray();
        Check("div.u32", 2, (a, b, _) => a / b, nonZero);
        Check("rem.u32", 2, (a, b, _) => a % b, nonZero);
        var signedSafe = nonZero.Select(v => v == uint.MaxValue ? 3u : v).ToArray(); // avoid MinValue / -1
        Check("div.s32", 2, (a, b, _) => (uint)((int)a / (int)b), signedSafe);
        Check("rem.s32", 2, (a, b, _) => (uint)((int)a % (int)b), signedSafe);
    }

    [Fact]
    public void WideMultiplyKeepsTheWholeProduct()
    {
        var signed = OneInstruction.Run("cvt.u32.u64 %r4, %rd7;\ncvt.u32.u64 %r5, %rd8;\nmul.wide.s32 %rd10, %r4, %r5;", OneInstruction.Bits(A), OneInstruction.Bits(B));
        var unsigned = OneInstruction.Run("cvt.u32.u64 %r4, %rd7;\ncvt.u32.u64 %r5, %rd8;\nmul.wide.u32 %rd10, %r4, %r5;", OneInstruction.Bits(A), OneInstruction.Bits(B));
        for (int i = 0; i < A.Length; i++)
        {
            Assert.Equal((ulong)((long)(int)A[i] * (int)B[i]), signed[i]);
            Assert.Equal((ulong)A[i] * B[i], unsigned[i]);
        }
    }

    [Fact]
    public void ShiftsOfTheWidthOrMoreFillWithZerosOrTheSign()
    {
        var amounts = Enumerable.Range(0, A.Length).Select(i => (uint)(i % 40)).ToArray();
        Check("shl.b32", 2, (a, s, _) => s >= 32 ? 0 : a << (int)s, amounts);
        Check("shr.u32", 2, (a, s, _) => s >= 32 ? 0 : a >> (int)s, amounts);
        Check("shr.s32", 2, (a, s, _) => (uint)((int)a >> (int)Math.Min(s, 31)), amounts);
    }

    [Fact]
    public void BitFieldsPermutesAndCounts()
    {
        var rng = new Random(4);
        var positions = A.Select(_ => (uint)rng.Next(0, 24)).ToArray();
        var lengths = positions.Select(p => (uint)rng.Next(1, (int)(33 - p))).ToArray();
        Check("bfe.u32", 3, (a, pos, len) => len == 32 ? a : (a >> (int)pos) & ((1u << (int)len) - 1), positions, lengths);
        Check("bfe.s32", 3, (a, pos, len) => (uint)((int)(a << (int)(32 - pos - len)) >> (int)(32 - len)), positions, lengths);

        // bfi.b32 d, f, b, pos, len: inserts f's low bits into b (needs a fifth operand: written out here).
        var bfi = OneInstruction.Run("""
            cvt.u32.u64 %r4, %rd7;
            cvt.u32.u64 %r5, %rd8;
            cvt.u32.u64 %r6, %rd9;
            bfi.b32 %r7, %r4, %r5, %r6, 8;
            cvt.u64.u32 %rd10, %r7;
            """, OneInstruction.Bits(A), OneInstruction.Bits(B), OneInstruction.Bits(positions));
        for (int i = 0; i < A.Length; i++)
        {
            uint mask = 0xFFu << (int)positions[i];
            Assert.Equal((B[i] & ~mask) | ((A[i] << (int)positions[i]) & mask), (uint)bfi[i]);
        }

        var selectors = A.Select(_ => (uint)rng.Next()).ToArray();
        Check("prmt.b32", 3, (a, b, sel) =>
        {
            byte[] bytes = [.. BitConverter.GetBytes(a), .. BitConverter.GetBytes(b)];
            uint d = 0;
            for (int n = 0; n < 4; n++)
            {
                uint s = (sel >> (4 * n)) & 0xF;
                byte v = bytes[s & 7];
                if ((s & 8) != 0) v = (byte)((sbyte)v < 0 ? 0xFF : 0);
                d |= (uint)v << (8 * n);
            }
            return d;
        }, null, selectors);

        Check("popc.b32", 1, (a, _, _) => (uint)BitOperations.PopCount(a));
        Check("clz.b32", 1, (a, _, _) => (uint)BitOperations.LeadingZeroCount(a));
        Check("brev.b32", 1, (a, _, _) =>
        {
            // Swap halves, then bytes, nibbles, pairs and bits.
            uint v = (a >> 16) | (a << 16);
            v = ((v & 0xFF00FF00) >> 8) | ((v & 0x00FF00FF) << 8);
            v = ((v & 0xF0F0F0F0) >> 4) | ((v & 0x0F0F0F0F) << 4);
            v = ((v & 0xCCCCCCCC) >> 2) | ((v & 0x33333333) << 2);
            return ((v & 0xAAAAAAAA) >> 1) | ((v & 0x55555555) << 1);
        });
        Check("bfind.u32", 1, (a, _, _) => a == 0 ? uint.MaxValue : (uint)(31 - BitOperations.LeadingZeroCount(a)));
        Check("bfind.shiftamt.u32", 1, (a, _, _) => a == 0 ? uint.MaxValue : (uint)BitOperations.LeadingZeroCount(a));
        Check("bfind.s32", 1, (a, _, _) => (int)a is 0 or -1 ? uint.MaxValue : (uint)(31 - BitOperations.LeadingZeroCount((int)a < 0 ? ~a : a)));
        var amounts = A.Select((_, i) => (uint)(i * 7 % 40)).ToArray();
        Check("shf.l.wrap.b32", 3, (a, b, n) => (uint)((((ulong)b << 32 | a) << (int)(n & 31)) >> 32), null, amounts);
        Check("shf.r.clamp.b32", 3, (a, b, n) => (uint)(((ulong)b << 32 | a) >> (int)Math.Min(n, 32)), null, amounts);
        Check("sad.u32", 3, (a, b, c) => c + (a > b ? a - b : b - a));
        Check("sad.s32", 3, (a, b, c) => c + (uint)Math.Abs((long)(int)a - (int)b));
        Check("and.b32", 2, (a, b, _) => a & b);
        Check("or.b32", 2, (a, b, _) => a | b);
        Check("xor.b32", 2, (a, b, _) => a ^ b);
        Check("not.b32", 1, (a, _, _) => ~a);
    }

    [Fact]
    public void SetpSelpAndPredicateLogic()
    {
        var r = OneInstruction.Run("""
            cvt.u32.u64 %r4, %rd7;
            cvt.u32.u64 %r5, %rd8;
            setp.lt.s32 %p1, %r4, %r5;
            setp.lo.u32 %p2, %r4, %r5;
            xor.pred %p3, %p1, %p2;
            setp.ne.s32.and %p4|%p5, %r4, 0, %p3;
            selp.b32 %r6, 1, 0, %p1;
            selp.b32 %r7, 2, 0, %p2;
            selp.b32 %r8, 4, 0, %p4;
            selp.b32 %r9, 8, 0, %p5;
            add.s32 %r10, %r6, %r7;
            add.s32 %r10, %r10, %r8;
            add.s32 %r10, %r10, %r9;
            cvt.u64.u32 %rd10, %r10;
            """, OneInstruction.Bits(A), OneInstruction.Bits(B));
        for (int i = 0; i < A.Length; i++)
        {
            bool lt = (int)A[i] < (int)B[i], lo = A[i] < B[i], x = lt ^ lo;
            bool p4 = A[i] != 0 && x, p5 = A[i] == 0 && x;
            uint expected = (lt ? 1u : 0) + (lo ? 2u : 0) + (p4 ? 4u : 0) + (p5 ? 8u : 0);
            Assert.Equal(expected, (uint)r[i]);
        }
    }
}
