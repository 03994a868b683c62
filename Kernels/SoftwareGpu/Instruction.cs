namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>
/// One decoded PTX instruction: opcode, types and modifiers as enums, operands resolved to register
/// slots, immediates and instruction indices. Built once at module load; the interpreter reads
/// nothing else.
/// </summary>
public sealed class Instruction
{
    /// <summary>The operation, e.g. <see cref="Opcode.Add"/> for <c>add.f32</c>.</summary>
    public Opcode Op;
    /// <summary>The instruction's (destination) type, e.g. f32 in <c>add.f32</c>, s32 in <c>cvt.s32.f32</c>.</summary>
    public PtxType Type;
    /// <summary>The second type where there is one: the source of <c>cvt</c>, A/B of <c>mma</c>, the base of <c>cvta</c>.</summary>
    public PtxType SourceType;
    /// <summary>The rounding modifier (<c>.rn</c>, <c>.rz</c>...), <see cref="Rounding.None"/> when the text has none.</summary>
    public Rounding Round;
    /// <summary><c>.ftz</c>: subnormal float32 inputs and results are flushed to sign-preserving zero.</summary>
    public bool Ftz;
    /// <summary><c>.sat</c>: float results are clamped to [0, 1] (NaN becomes 0); integer results to the type's range.</summary>
    public bool Sat;
    /// <summary><c>.approx</c> (or <c>.full</c>): the fast approximate form of <c>div</c>, <c>rcp</c>, <c>sqrt</c>, <c>ex2</c>...</summary>
    public bool Approx;
    /// <summary><c>.relu</c> (f16/bf16 fma, min, max): negative results become +0.</summary>
    public bool Relu;
    /// <summary>Which part of an integer product <c>mul</c>/<c>mad</c> keep (<c>.lo</c>, <c>.hi</c>, <c>.wide</c>).</summary>
    public MulMode Mul;
    /// <summary>The comparison of <c>setp</c>/<c>slct</c> (<c>.lt</c>, <c>.geu</c>...).</summary>
    public CompareOp Compare;
    /// <summary><c>setp</c> with <c>.and/.or/.xor</c> combines the result with a predicate operand.</summary>
    public Opcode? CombineWith;
    /// <summary>The state space an access or address conversion names (<c>ld.global</c>, <c>st.shared</c>, <c>cvta.to.global</c>); <see cref="StateSpace.Generic"/> when none.</summary>
    public StateSpace Space;
    /// <summary>For <c>cvta</c>: true for <c>cvta.to.space</c> (generic → space), false for space → generic.</summary>
    public bool ToSpace;
    /// <summary>Vector width of <c>ld</c>/<c>st</c> (<c>.v2</c>, <c>.v4</c>), 1 otherwise; matrix count of <c>ldmatrix</c>.</summary>
    public int Width = 1;
    /// <summary><c>ldmatrix .trans</c>: each 8×8 matrix is transposed on the way into registers.</summary>
    public bool Transpose;
    /// <summary><c>shf.l</c> (true) or <c>shf.r</c>; <c>.clamp</c> (true) or <c>.wrap</c> of the shift amount.</summary>
    public bool FunnelLeft, FunnelClamp;
    /// <summary><c>bfind.shiftamt</c>: return the left-shift that would move the found bit to the top.</summary>
    public bool ShiftAmount;
    /// <summary>The lane selection of <c>shfl.sync</c> (<c>.up</c>, <c>.down</c>, <c>.bfly</c>, <c>.idx</c>).</summary>
    public ShuffleMode Shuffle;
    /// <summary>The reduction of <c>vote.sync</c> (<c>.all</c>, <c>.any</c>, <c>.uni</c>, <c>.ballot</c>).</summary>
    public VoteMode Vote;
    /// <summary>The operation of <c>atom</c>/<c>red</c>, and the reduction of <c>redux.sync</c> and <c>bar.red</c> (popc counts as Add).</summary>
    public AtomicOp Atomic;
    /// <summary>The tile shape of <c>mma.sync</c>.</summary>
    public MmaShape Shape;
    /// <summary>N of a <c>wgmma.mma_async.m64nNkK</c> shape (8 to 256).</summary>
    public int WgmmaN;
    /// <summary><c>mbarrier.arrive.expect_tx</c>; for <c>mbarrier.*_wait</c>, <see cref="Parity"/> says whether the operand is a phase parity (<c>.parity</c>) or a state.</summary>
    public bool ExpectTx, Parity;
    /// <summary><c>cp.async.bulk.tensor.Nd</c>: N, the number of tensor coordinates (1 to 5).</summary>
    public int TensorRank;
    /// <summary>The operands in the order written: the destination(s) first, then the sources.</summary>
    public Operand[] Operands = [];
    /// <summary>Guard predicate register slot (-1: unguarded) and whether it is negated (<c>@!%p1</c>).</summary>
    public int Guard = -1;
    /// <summary>True for a guard written <c>@!%p</c>: the instruction runs when the predicate is false.</summary>
    public bool GuardNegated;
    /// <summary>1-based line in the PTX text, for error and sanitizer reports.</summary>
    public int Line;
    /// <summary>The instruction as written, without the trailing semicolon.</summary>
    public string Text = "";

    /// <summary>"line N: text", as reports quote an instruction.</summary>
    public override string ToString() => $"line {Line}: {Text}";
}
