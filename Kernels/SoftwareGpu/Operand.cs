namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>What an operand is after decoding.</summary>
public enum OperandKind : byte
{
    /// <summary>No operand (the default value).</summary>
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
    /// <summary><c>%tid.x</c>: the thread's index in its block, x.</summary>
    TidX,
    /// <summary><c>%tid.y</c>: the thread's index in its block, y.</summary>
    TidY,
    /// <summary><c>%tid.z</c>: the thread's index in its block, z.</summary>
    TidZ,
    /// <summary><c>%ntid.x</c>: the block's extent (blockDim), x.</summary>
    NtidX,
    /// <summary><c>%ntid.y</c>: the block's extent (blockDim), y.</summary>
    NtidY,
    /// <summary><c>%ntid.z</c>: the block's extent (blockDim), z.</summary>
    NtidZ,
    /// <summary><c>%ctaid.x</c>: the block's index in the grid (blockIdx), x.</summary>
    CtaidX,
    /// <summary><c>%ctaid.y</c>: the block's index in the grid (blockIdx), y.</summary>
    CtaidY,
    /// <summary><c>%ctaid.z</c>: the block's index in the grid (blockIdx), z.</summary>
    CtaidZ,
    /// <summary><c>%nctaid.x</c>: the grid's extent in blocks (gridDim), x.</summary>
    NctaidX,
    /// <summary><c>%nctaid.y</c>: the grid's extent in blocks (gridDim), y.</summary>
    NctaidY,
    /// <summary><c>%nctaid.z</c>: the grid's extent in blocks (gridDim), z.</summary>
    NctaidZ,
    /// <summary><c>%laneid</c>: the thread's lane in its warp, 0 to 31.</summary>
    LaneId,
    /// <summary><c>%warpid</c>: the warp's index in its block.</summary>
    WarpId,
    /// <summary><c>%nwarpid</c>: the number of warp ids (here: the warps of the block).</summary>
    NwarpId,
    /// <summary><c>%smid</c>: the multiprocessor running the block (always 0 here).</summary>
    SmId,
    /// <summary><c>%nsmid</c>: the number of SM ids (1 here).</summary>
    NsmId,
    /// <summary><c>%gridid</c>: an id of the launch (0 here).</summary>
    GridId,
    /// <summary><c>%lanemask_eq</c>: only the bit of the thread's own lane set.</summary>
    LanemaskEq,
    /// <summary><c>%lanemask_lt</c>: the bits of the lanes below the thread's own.</summary>
    LanemaskLt,
    /// <summary><c>%lanemask_le</c>: the bits of the lanes up to and including the thread's own.</summary>
    LanemaskLe,
    /// <summary><c>%lanemask_gt</c>: the bits of the lanes above the thread's own.</summary>
    LanemaskGt,
    /// <summary><c>%lanemask_ge</c>: the bits of the lanes from the thread's own up.</summary>
    LanemaskGe,
    /// <summary><c>%clock</c>: a 32-bit cycle counter (here: the instructions the block has executed).</summary>
    Clock,
    /// <summary><c>%clock64</c>: a 64-bit cycle counter (here: the instructions the block has executed).</summary>
    Clock64,
    /// <summary><c>%globaltimer</c>: a nanosecond timer (here: the instructions the block has executed).</summary>
    GlobalTimer,
}

/// <summary>
/// One decoded operand. Everything name-based (registers, labels, symbols) is resolved at module
/// load, so execution only indexes arrays.
/// </summary>
/// <param name="Kind">What the operand is; it says which of the other fields mean something.</param>
/// <param name="Register">A register's slot in the thread's register file, or an address's base register (-1: none).</param>
/// <param name="Value">An immediate's bits, an address's byte offset, or a label's instruction index.</param>
/// <param name="Special">Which special register a <see cref="OperandKind.Special"/> operand reads.</param>
/// <param name="Elements">The elements of a <see cref="OperandKind.Vector"/> operand, or a tensor copy's coordinates in an <see cref="OperandKind.Address"/> <c>[map, {c0, c1, ...}]</c>.</param>
/// <param name="Base32">Whether an address's base register is 32 bits wide (shared-window addresses), so only its low 32 bits count.</param>
/// <param name="Negated">A <c>!</c> in front of a predicate operand (<c>vote.sync.all.pred %p1, !%p2, ...</c>).</param>
public readonly record struct Operand(OperandKind Kind, int Register = -1, ulong Value = 0, SpecialRegister Special = default, Operand[]? Elements = null,
    bool Base32 = false,
    bool Negated = false)
{
    /// <summary>The register in slot <paramref name="index"/> of the thread's register file.</summary>
    public static Operand Reg(int index) => new(OperandKind.Register, index);
    /// <summary>A constant with the given bit pattern.</summary>
    public static Operand Imm(ulong bits) => new(OperandKind.Immediate, Value: bits);
}
