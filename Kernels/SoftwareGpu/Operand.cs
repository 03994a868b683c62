namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>What an operand is after decoding.</summary>
public enum OperandKind : byte
{
    None,
    /// <summary>A register: <see cref="Operand.Register"/> is its slot in the thread's register file.</summary>
    Register,
    /// <summary>A constant: <see cref="Operand.Value"/> holds its bits (floats as IEEE bits of the instruction's type).</summary>
    Immediate,
    /// <summary>A special register (<c>%tid.x</c>...).</summary>
    Special,
    /// <summary><c>[base+offset]</c>: <see cref="Operand.Register"/> is the base (-1: none), <see cref="Operand.Value"/> the offset, symbols already folded in.</summary>
    Address,
    /// <summary><c>{a, b, ...}</c>: the elements are in <see cref="Operand.Elements"/>.</summary>
    Vector,
    /// <summary>The sink <c>_</c>: writes are dropped.</summary>
    Sink,
    /// <summary>A branch target: <see cref="Operand.Value"/> is the instruction index.</summary>
    Label,
}

/// <summary>The special registers a kernel can read with <c>mov</c>.</summary>
public enum SpecialRegister : byte
{
    TidX, TidY, TidZ, NtidX, NtidY, NtidZ,
    CtaidX, CtaidY, CtaidZ, NctaidX, NctaidY, NctaidZ,
    LaneId, WarpId, NwarpId, SmId, NsmId, GridId,
    LanemaskEq, LanemaskLt, LanemaskLe, LanemaskGt, LanemaskGe,
    Clock, Clock64, GlobalTimer,
}

/// <summary>
/// One decoded operand. Everything name-based (registers, labels, symbols) is resolved at module
/// load, so execution only indexes arrays.
/// </summary>
public readonly record struct Operand(OperandKind Kind, int Register = -1, ulong Value = 0, SpecialRegister Special = default, Operand[]? Elements = null,
    /// <summary>Whether an address's base register is 32 bits wide (shared-window addresses), so only its low 32 bits count.</summary>
    bool Base32 = false,
    /// <summary>A <c>!</c> in front of a predicate operand (<c>vote.sync.all.pred %p1, !%p2, ...</c>).</summary>
    bool Negated = false)
{
    public static Operand Reg(int index) => new(OperandKind.Register, index);
    public static Operand Imm(ulong bits) => new(OperandKind.Immediate, Value: bits);
}
