namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>The operation an instruction performs (its name before the first dot, sometimes two parts).</summary>
public enum Opcode : byte
{
    Mov, Ld, St, Cvta, Cvt,
    Add, Sub, Mul, Mad, Fma, Div, Rem, Abs, Neg, Min, Max, Copysign,
    Rcp, Sqrt, Rsqrt, Ex2, Lg2, Sin, Cos, Tanh,
    And, Or, Xor, Not, Cnot, Shl, Shr, Shf, Bfe, Bfi, Bfind, Prmt, Popc, Clz, Brev, Sad,
    Setp, Selp, Slct,
    Bra, Ret, Exit,
    BarSync, BarRed, BarWarpSync, Shfl, Vote, Redux, Activemask,
    Atom, Red,
    Mma, Ldmatrix, CpAsync, CpAsyncCommitGroup, CpAsyncWaitGroup, CpAsyncWaitAll,
    /// <summary>Memory fences (<c>membar</c>, <c>fence</c>): no-ops here because every access is immediately visible.</summary>
    Fence,
}

/// <summary>IEEE rounding modifiers: <c>.rn .rz .rm .rp</c> (floats), <c>.rna</c> (tf32), and the integer-result forms <c>.rni .rzi .rmi .rpi</c>.</summary>
public enum Rounding : byte { None, Rn, Rz, Rm, Rp, Rna, Rni, Rzi, Rmi, Rpi }

/// <summary>A state space: where an address points.</summary>
public enum StateSpace : byte { Generic, Global, Shared, Local, Param, Const }

/// <summary>Comparison of <c>setp</c>/<c>slct</c>; the <c>*u</c> forms are true when either operand is NaN.</summary>
public enum CompareOp : byte { Eq, Ne, Lt, Le, Gt, Ge, Lo, Ls, Hi, Hs, Equ, Neu, Ltu, Leu, Gtu, Geu, Num, Nan }

/// <summary>Which part of a product <c>mul</c>/<c>mad</c> keep.</summary>
public enum MulMode : byte { None, Lo, Hi, Wide }

/// <summary>The lane-selection mode of <c>shfl.sync</c>.</summary>
public enum ShuffleMode : byte { Up, Down, Bfly, Idx }

/// <summary>The reduction of <c>vote.sync</c>.</summary>
public enum VoteMode : byte { All, Any, Uni, Ballot }

/// <summary>The read-modify-write of <c>atom</c>/<c>red</c>.</summary>
public enum AtomicOp : byte { Add, Min, Max, Exch, Cas, Inc, Dec, And, Or, Xor }

/// <summary>The shape of an <c>mma.sync</c>.</summary>
public enum MmaShape : byte { M16N8K8, M16N8K16 }
