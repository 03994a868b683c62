namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// One decoded PTX instruction: opcode, types and modifiers as enums, operands resolved to register
/// slots, immediates and instruction indices. Built once at module load; the interpreter reads
/// nothing else.
/// </summary>
public sealed class Instruction
{
    public Opcode Op;
    /// <summary>The instruction's (destination) type, e.g. f32 in <c>add.f32</c>, s32 in <c>cvt.s32.f32</c>.</summary>
    public PtxType Type;
    /// <summary>The second type where there is one: the source of <c>cvt</c>, A/B of <c>mma</c>, the base of <c>cvta</c>.</summary>
    public PtxType SourceType;
    public Rounding Round;
    public bool Ftz, Sat, Approx;
    /// <summary><c>.relu</c> (f16/bf16 fma, min, max): negative results become +0.</summary>
    public bool Relu;
    public MulMode Mul;
    public CompareOp Compare;
    /// <summary><c>setp</c> with <c>.and/.or/.xor</c> combines the result with a predicate operand.</summary>
    public Opcode? CombineWith;
    public StateSpace Space;
    /// <summary>For <c>cvta</c>: true for <c>cvta.to.space</c> (generic → space), false for space → generic.</summary>
    public bool ToSpace;
    /// <summary>Vector width of <c>ld</c>/<c>st</c> (<c>.v2</c>, <c>.v4</c>), 1 otherwise; matrix count of <c>ldmatrix</c>.</summary>
    public int Width = 1;
    public bool Transpose;
    /// <summary><c>shf.l</c> (true) or <c>shf.r</c>; <c>.clamp</c> (true) or <c>.wrap</c> of the shift amount.</summary>
    public bool FunnelLeft, FunnelClamp;
    /// <summary><c>bfind.shiftamt</c>: return the left-shift that would move the found bit to the top.</summary>
    public bool ShiftAmount;
    public ShuffleMode Shuffle;
    public VoteMode Vote;
    /// <summary>The operation of <c>atom</c>/<c>red</c>, and the reduction of <c>redux.sync</c> and <c>bar.red</c> (popc counts as Add).</summary>
    public AtomicOp Atomic;
    public MmaShape Shape;
    public Operand[] Operands = [];
    /// <summary>Guard predicate register slot (-1: unguarded) and whether it is negated (<c>@!%p1</c>).</summary>
    public int Guard = -1;
    public bool GuardNegated;
    /// <summary>1-based line in the PTX text, for error and sanitizer reports.</summary>
    public int Line;
    /// <summary>The instruction as written, without the trailing semicolon.</summary>
    public string Text = "";

    public override string ToString() => $"line {Line}: {Text}";
}
