using System.Runtime.CompilerServices;
namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// Floating-point instructions. IEEE operations are exact-then-rounded in the instruction's mode
/// (bit-exact with hardware). The <c>.approx</c> instructions are computed in double precision and
/// rounded once, i.e. correctly rounded; hardware's special-function unit is within the error
/// bounds the PTX ISA documents for each (see docs in the README's software GPU section).
/// </summary>
internal sealed partial class BlockExecutor
{
    void ExecuteFloat(Instruction ins)
    {
        if (ins.Type == PtxType.F64) ExecuteFloat64(ins);
        else if (ins.Type == PtxType.F32) ExecuteFloat32(ins);
        else if (ins.Type is PtxType.F16 or PtxType.F16x2 or PtxType.BF16 or PtxType.BF16x2) ExecuteHalf(ins);
        else throw new InvalidOperationException($"'{ins.Text}': .{ins.Type} arithmetic is not implemented");
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot: skip tier-0 code, which is several times slower
    void ExecuteFloat32(Instruction ins)
    {
        var ops = ins.Operands;
        bool ftz = ins.Ftz;
        float a = ReadF32(ops[1], ftz);
        float b = ops.Length > 2 ? ReadF32(ops[2], ftz) : 0;
        var mode = ins.Round;
        float r = ins.Op switch
        {
            Opcode.Add => Sum32(a, b, mode),
            Opcode.Sub => Sum32(a, -b, mode),
            Opcode.Mul => FloatRounding.RoundToSingle((double)a * b, 0, mode), // the product of two floats is exact in double
            Opcode.Mad or Opcode.Fma => FusedMultiplyAdd32(a, b, ReadF32(ops[3], ftz), mode),
            Opcode.Div => a / b,
            Opcode.Abs => MathF.Abs(a),
            Opcode.Neg => -a,
            Opcode.Min => float.MinNumber(a, b),
            Opcode.Max => float.MaxNumber(a, b),
            Opcode.Copysign => MathF.CopySign(b, a),
            Opcode.Rcp => 1f / a,
            Opcode.Sqrt => MathF.Sqrt(a),
            Opcode.Rsqrt => (float)(1.0 / Math.Sqrt(a)),
            Opcode.Ex2 => (float)Math.Pow(2.0, a),
            Opcode.Lg2 => (float)Math.Log2(a),
            Opcode.Sin => (float)Math.Sin(a),
            Opcode.Cos => (float)Math.Cos(a),
            Opcode.Tanh => (float)Math.Tanh(a),
            _ => throw new InvalidOperationException($"'{ins.Text}' is not an f32 instruction"),
        };
        if (ins.Sat) r = FloatRounding.Saturate(r);
        WriteF32(ops[0], r, ftz);
    }

    static float Sum32(float a, float b, Rounding mode)
    {
        if (mode is Rounding.None or Rounding.Rn) return a + b;
        var (hi, lo) = FloatRounding.TwoSum(a, b);
        return FloatRounding.RoundToSingle(hi, lo, mode);
    }

    /// <summary>a·b + c with one rounding: a·b is exact in double, TwoSum makes the sum exact as hi + lo.</summary>
    static float FusedMultiplyAdd32(float a, float b, float c, Rounding mode)
    {
        double product = (double)a * b;
        if (double.IsInfinity(product) || float.IsInfinity(c) || float.IsNaN(c)) return (float)(product + c);
        var (hi, lo) = FloatRounding.TwoSum(product, c);
        return FloatRounding.RoundToSingle(hi, lo, mode);
    }

    void ExecuteFloat64(Instruction ins)
    {
        var ops = ins.Operands;
        double a = ReadF64(ops[1]);
        double b = ops.Length > 2 ? ReadF64(ops[2]) : 0;
        var mode = ins.Round;
        double r = ins.Op switch
        {
            Opcode.Add => Sum64(a, b, mode),
            Opcode.Sub => Sum64(a, -b, mode),
            Opcode.Mul => Product64(a, b, mode),
            Opcode.Mad or Opcode.Fma when mode is Rounding.None or Rounding.Rn => Math.FusedMultiplyAdd(a, b, ReadF64(ops[3])),
            Opcode.Div => a / b,
            Opcode.Abs => Math.Abs(a),
            Opcode.Neg => -a,
            Opcode.Min => double.MinNumber(a, b),
            Opcode.Max => double.MaxNumber(a, b),
            Opcode.Copysign => Math.CopySign(b, a),
            Opcode.Rcp => 1.0 / a,
            Opcode.Sqrt => Math.Sqrt(a),
            Opcode.Rsqrt => 1.0 / Math.Sqrt(a),
            _ => throw new InvalidOperationException($"'{ins.Text}' is not implemented for f64"),
        };
        if (ins.Sat) r = FloatRounding.Saturate(r);
        WriteF64(ops[0], r);
    }

    static double Sum64(double a, double b, Rounding mode)
    {
        var (hi, lo) = FloatRounding.TwoSum(a, b);
        return FloatRounding.RoundToDouble(hi, lo, mode);
    }

    static double Product64(double a, double b, Rounding mode)
    {
        double p = a * b;
        double err = double.IsFinite(p) ? Math.FusedMultiplyAdd(a, b, -p) : 0;
        return FloatRounding.RoundToDouble(p, err, mode);
    }

    /// <summary>
    /// f16/bf16 arithmetic, scalar or on the two halves of a 32-bit register (<c>.f16x2</c>, <c>.bf16x2</c>,
    /// low half first), correctly rounded to nearest.
    /// </summary>
    void ExecuteHalf(Instruction ins)
    {
        var ops = ins.Operands;
        bool brain = ins.Type is PtxType.BF16 or PtxType.BF16x2;
        int lanes = ins.Type is PtxType.F16x2 or PtxType.BF16x2 ? 2 : 1;
        ulong a = Read(ops[1]), b = ops.Length > 2 ? Read(ops[2]) : 0, c = ops.Length > 3 ? Read(ops[3]) : 0;
        ulong result = 0;
        for (int lane = 0; lane < lanes; lane++)
        {
            int shift = 16 * lane;
            if (ins.Op is Opcode.Abs or Opcode.Neg)
            {
                // Sign-bit operations, as in hardware (NaN payloads are kept).
                ulong half = (a >> shift) & 0xFFFF;
                result |= (ins.Op == Opcode.Abs ? half & 0x7FFF : half ^ 0x8000) << shift;
                continue;
            }
            double x = HalfValue((ushort)(a >> shift), brain, ins.Ftz);
            double y = HalfValue((ushort)(b >> shift), brain, ins.Ftz);
            double z = HalfValue((ushort)(c >> shift), brain, ins.Ftz);
            // Exact result as hi + lo (products of two halves are exact in double), then round-to-odd
            // so the final rounding to f16/bf16 is a single correct rounding even for bf16's wide exponents.
            var (hi, lo) = ins.Op switch
            {
                Opcode.Add => FloatRounding.TwoSum(x, y),
                Opcode.Sub => FloatRounding.TwoSum(x, -y),
                Opcode.Mul => (x * y, 0),
                Opcode.Fma => FloatRounding.TwoSum(x * y, z),
                Opcode.Min => (double.MinNumber(x, y), 0),
                Opcode.Max => (double.MaxNumber(x, y), 0),
                _ => throw new InvalidOperationException($"'{ins.Text}' is not a half-precision instruction"),
            };
            double r = FloatRounding.RoundToOdd(hi, lo);
            if (ins.Sat) r = FloatRounding.Saturate(r);
            if (ins.Relu && !double.IsNaN(r) && double.IsNegative(r)) r = 0;
            ushort bits = brain ? FloatRounding.ToBFloat16Bits(r, Rounding.Rn) : FloatRounding.ToHalfBits(r, Rounding.Rn);
            if (ins.Ftz && !brain && (bits & 0x7C00) == 0) bits &= 0x8000; // flush a subnormal f16 result
            result |= (ulong)bits << shift;
        }
        Write(ops[0], result);
    }

    static double HalfValue(ushort bits, bool brain, bool ftz)
    {
        if (ftz && !brain && (bits & 0x7C00) == 0) bits &= 0x8000;
        return brain ? FloatRounding.BFloat16ToSingle(bits) : FloatRounding.HalfToSingle(bits);
    }
}
