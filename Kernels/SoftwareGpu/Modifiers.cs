namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>The operation an instruction performs (its name before the first dot, sometimes two parts).</summary>
public enum Opcode : byte
{
    /// <summary><c>mov</c>: copy a register, an immediate, a special register or a symbol's address.</summary>
    Mov,
    /// <summary><c>ld</c>: load from a state space.</summary>
    Ld,
    /// <summary><c>st</c>: store to a state space.</summary>
    St,
    /// <summary><c>cvta</c>: convert an address between the generic space and a state space.</summary>
    Cvta,
    /// <summary><c>cvt</c>: convert a value from one type to another, with rounding or saturation.</summary>
    Cvt,
    /// <summary><c>add</c>.</summary>
    Add,
    /// <summary><c>sub</c>.</summary>
    Sub,
    /// <summary><c>mul</c> (integers keep the part that <see cref="MulMode"/> selects).</summary>
    Mul,
    /// <summary><c>mad</c>: a·b + c (integers keep the part that <see cref="MulMode"/> selects).</summary>
    Mad,
    /// <summary><c>fma</c>: a·b + c with a single rounding.</summary>
    Fma,
    /// <summary><c>div</c>.</summary>
    Div,
    /// <summary><c>rem</c>: integer remainder, with the sign of the dividend as in C.</summary>
    Rem,
    /// <summary><c>abs</c>.</summary>
    Abs,
    /// <summary><c>neg</c>.</summary>
    Neg,
    /// <summary><c>min</c>.</summary>
    Min,
    /// <summary><c>max</c>.</summary>
    Max,
    /// <summary><c>copysign</c>: the magnitude of the second operand with the sign of the first.</summary>
    Copysign,
    /// <summary><c>rcp</c>: 1/x.</summary>
    Rcp,
    /// <summary><c>sqrt</c>.</summary>
    Sqrt,
    /// <summary><c>rsqrt</c>: 1/√x.</summary>
    Rsqrt,
    /// <summary><c>ex2</c>: 2ˣ.</summary>
    Ex2,
    /// <summary><c>lg2</c>: log₂ x.</summary>
    Lg2,
    /// <summary><c>sin</c> (radians).</summary>
    Sin,
    /// <summary><c>cos</c> (radians).</summary>
    Cos,
    /// <summary><c>tanh</c>.</summary>
    Tanh,
    /// <summary><c>and</c>: bitwise, or logical on predicates.</summary>
    And,
    /// <summary><c>or</c>: bitwise, or logical on predicates.</summary>
    Or,
    /// <summary><c>xor</c>: bitwise, or logical on predicates.</summary>
    Xor,
    /// <summary><c>not</c>: bitwise complement, or logical on predicates.</summary>
    Not,
    /// <summary><c>cnot</c>: C's <c>!x</c>, 1 when x is 0 and 0 otherwise.</summary>
    Cnot,
    /// <summary><c>shl</c>: shift left.</summary>
    Shl,
    /// <summary><c>shr</c>: shift right, arithmetic for signed types.</summary>
    Shr,
    /// <summary><c>shf</c>: funnel shift of a 64-bit pair of 32-bit registers.</summary>
    Shf,
    /// <summary><c>bfe</c>: extract a bit field.</summary>
    Bfe,
    /// <summary><c>bfi</c>: insert a bit field.</summary>
    Bfi,
    /// <summary><c>bfind</c>: position of the most significant non-sign bit (0xFFFFFFFF when there is none).</summary>
    Bfind,
    /// <summary><c>prmt</c>: pick four bytes out of two registers.</summary>
    Prmt,
    /// <summary><c>popc</c>: number of set bits.</summary>
    Popc,
    /// <summary><c>clz</c>: number of leading zero bits.</summary>
    Clz,
    /// <summary><c>brev</c>: reverse the bit order.</summary>
    Brev,
    /// <summary><c>sad</c>: |a − b| + c.</summary>
    Sad,
    /// <summary><c>setp</c>: compare (<see cref="CompareOp"/>) and write a predicate.</summary>
    Setp,
    /// <summary><c>selp</c>: a when the predicate is true, else b.</summary>
    Selp,
    /// <summary><c>slct</c>: a when c ≥ 0, else b.</summary>
    Slct,
    /// <summary><c>bra</c>: jump to a label.</summary>
    Bra,
    /// <summary><c>ret</c>: return from the kernel (the thread ends).</summary>
    Ret,
    /// <summary><c>exit</c>: the thread ends.</summary>
    Exit,
    /// <summary><c>bar.sync</c> / <c>barrier.sync</c>: wait until every thread of the block arrives.</summary>
    BarSync,
    /// <summary><c>bar.red</c>: a block barrier that also reduces a predicate (<c>popc</c>, <c>and</c>, <c>or</c>) over the block.</summary>
    BarRed,
    /// <summary><c>bar.warp.sync</c>: wait for the lanes of a warp named in a mask.</summary>
    BarWarpSync,
    /// <summary><c>shfl.sync</c>: read a register of another lane of the warp (<see cref="ShuffleMode"/>).</summary>
    Shfl,
    /// <summary><c>vote.sync</c>: combine a predicate over the warp (<see cref="VoteMode"/>).</summary>
    Vote,
    /// <summary><c>redux.sync</c>: reduce an integer over the lanes of a warp.</summary>
    Redux,
    /// <summary><c>activemask</c>: the mask of the warp's lanes that execute it.</summary>
    Activemask,
    /// <summary><c>atom</c>: atomic read-modify-write (<see cref="AtomicOp"/>) that returns the old value.</summary>
    Atom,
    /// <summary><c>red</c>: atomic read-modify-write without a result.</summary>
    Red,
    /// <summary><c>mma.sync</c>: a warp-wide tensor-core matrix multiply-accumulate (<see cref="MmaShape"/>).</summary>
    Mma,
    /// <summary><c>ldmatrix.sync</c>: the warp loads 8×8 matrices from shared memory into the fragment layout of <c>mma</c>.</summary>
    Ldmatrix,
    /// <summary><c>cp.async</c>: copy global to shared memory without passing through registers, completed by a wait.</summary>
    CpAsync,
    /// <summary><c>cp.async.commit_group</c>: close the thread's pending <c>cp.async</c> copies into a group.</summary>
    CpAsyncCommitGroup,
    /// <summary><c>cp.async.wait_group N</c>: wait until at most N of the thread's groups are pending.</summary>
    CpAsyncWaitGroup,
    /// <summary><c>cp.async.wait_all</c>: wait for all of the thread's copies.</summary>
    CpAsyncWaitAll,
    /// <summary>Memory fences (<c>membar</c>, <c>fence</c>): no-ops here because every access is immediately visible.</summary>
    Fence,
    /// <summary><c>wgmma.mma_async</c>: a warpgroup's D = A·B (+ D) with A and B in shared memory, run when its group is waited for.</summary>
    WgmmaMmaAsync,
    /// <summary><c>wgmma.fence</c>: orders register accesses before the warpgroup's next wgmma (a no-op here).</summary>
    WgmmaFence,
    /// <summary><c>wgmma.commit_group</c>: closes the warpgroup's uncommitted wgmma into a group.</summary>
    WgmmaCommitGroup,
    /// <summary><c>wgmma.wait_group N</c>: completes the warpgroup's groups until at most N are pending.</summary>
    WgmmaWaitGroup,
    /// <summary><c>mbarrier.init</c>: sets up a barrier object in shared memory for N arrivals.</summary>
    MbarrierInit,
    /// <summary><c>mbarrier.arrive</c> (and <c>.expect_tx</c>): counts arrivals (and expected transaction bytes).</summary>
    MbarrierArrive,
    /// <summary><c>mbarrier.expect_tx</c>: adds expected transaction bytes without arriving.</summary>
    MbarrierExpectTx,
    /// <summary><c>mbarrier.test_wait</c> / <c>try_wait</c> (and <c>.parity</c>): whether a phase has completed; the thread waits here until it has.</summary>
    MbarrierWait,
    /// <summary><c>mbarrier.inval</c>: ends a barrier object's life, so its memory can be reused.</summary>
    MbarrierInval,
    /// <summary><c>elect.sync d|p, membermask</c>: one lane of the mask (the lowest) is elected leader.</summary>
    Elect,
    /// <summary><c>cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes</c>: a bulk global → shared copy that signals an mbarrier when it lands.</summary>
    CpAsyncBulk,
    /// <summary><c>cp.async.bulk.tensor.Nd.shared::cluster.global.tile.mbarrier::complete_tx::bytes</c>: a box of a tensor map copied into shared memory, signalling an mbarrier.</summary>
    CpAsyncBulkTensor,
}

/// <summary>IEEE rounding modifiers: <c>.rn .rz .rm .rp</c> (floats), <c>.rna</c> (tf32), and the integer-result forms <c>.rni .rzi .rmi .rpi</c>.</summary>
public enum Rounding : byte
{
    /// <summary>No modifier: the instruction's default.</summary>
    None,
    /// <summary><c>.rn</c>: to nearest, ties to even.</summary>
    Rn,
    /// <summary><c>.rz</c>: toward zero.</summary>
    Rz,
    /// <summary><c>.rm</c>: toward −∞.</summary>
    Rm,
    /// <summary><c>.rp</c>: toward +∞.</summary>
    Rp,
    /// <summary><c>.rna</c>: to nearest, ties away from zero (<c>cvt.rna.tf32.f32</c>).</summary>
    Rna,
    /// <summary><c>.rni</c>: to the nearest integer, ties to even.</summary>
    Rni,
    /// <summary><c>.rzi</c>: to an integer, toward zero.</summary>
    Rzi,
    /// <summary><c>.rmi</c>: to an integer, toward −∞.</summary>
    Rmi,
    /// <summary><c>.rpi</c>: to an integer, toward +∞.</summary>
    Rpi,
}

/// <summary>A state space: where an address points.</summary>
public enum StateSpace : byte
{
    /// <summary>A generic address: resolved when accessed to global, shared or local memory.</summary>
    Generic,
    /// <summary><c>.global</c>: device memory, seen by every thread of every launch.</summary>
    Global,
    /// <summary><c>.shared</c>: memory of one block, seen by its threads.</summary>
    Shared,
    /// <summary><c>.local</c>: private memory of one thread.</summary>
    Local,
    /// <summary><c>.param</c>: the kernel's parameters (read-only).</summary>
    Param,
    /// <summary><c>.const</c>: module constants (read-only).</summary>
    Const,
}

/// <summary>Comparison of <c>setp</c>/<c>slct</c>; the <c>*u</c> forms are true when either operand is NaN.</summary>
public enum CompareOp : byte
{
    /// <summary>a = b.</summary>
    Eq,
    /// <summary>a ≠ b.</summary>
    Ne,
    /// <summary>a &lt; b.</summary>
    Lt,
    /// <summary>a ≤ b.</summary>
    Le,
    /// <summary>a &gt; b.</summary>
    Gt,
    /// <summary>a ≥ b.</summary>
    Ge,
    /// <summary>Unsigned a &lt; b ("lower").</summary>
    Lo,
    /// <summary>Unsigned a ≤ b ("lower or same").</summary>
    Ls,
    /// <summary>Unsigned a &gt; b ("higher").</summary>
    Hi,
    /// <summary>Unsigned a ≥ b ("higher or same").</summary>
    Hs,
    /// <summary>a = b, or either is NaN.</summary>
    Equ,
    /// <summary>a ≠ b, or either is NaN.</summary>
    Neu,
    /// <summary>a &lt; b, or either is NaN.</summary>
    Ltu,
    /// <summary>a ≤ b, or either is NaN.</summary>
    Leu,
    /// <summary>a &gt; b, or either is NaN.</summary>
    Gtu,
    /// <summary>a ≥ b, or either is NaN.</summary>
    Geu,
    /// <summary>Neither operand is NaN.</summary>
    Num,
    /// <summary>Either operand is NaN.</summary>
    Nan,
}

/// <summary>Which part of a product <c>mul</c>/<c>mad</c> keep.</summary>
public enum MulMode : byte
{
    /// <summary>No modifier (floating point).</summary>
    None,
    /// <summary><c>.lo</c>: the low half of the double-width product.</summary>
    Lo,
    /// <summary><c>.hi</c>: the high half of the double-width product.</summary>
    Hi,
    /// <summary><c>.wide</c>: the whole product, in a register twice as wide as the operands.</summary>
    Wide,
}

/// <summary>The lane-selection mode of <c>shfl.sync</c>.</summary>
public enum ShuffleMode : byte
{
    /// <summary>Read lane (lane − b).</summary>
    Up,
    /// <summary>Read lane (lane + b).</summary>
    Down,
    /// <summary>Read lane (lane XOR b): the butterfly of tree reductions.</summary>
    Bfly,
    /// <summary>Read lane b.</summary>
    Idx,
}

/// <summary>The reduction of <c>vote.sync</c>.</summary>
public enum VoteMode : byte
{
    /// <summary>True when the predicate holds on every lane of the mask.</summary>
    All,
    /// <summary>True when the predicate holds on some lane of the mask.</summary>
    Any,
    /// <summary>True when the predicate has the same value on every lane of the mask.</summary>
    Uni,
    /// <summary>A 32-bit mask with bit i set when the predicate holds on lane i.</summary>
    Ballot,
}

/// <summary>The read-modify-write of <c>atom</c>/<c>red</c>.</summary>
public enum AtomicOp : byte
{
    /// <summary>old + b.</summary>
    Add,
    /// <summary>min(old, b).</summary>
    Min,
    /// <summary>max(old, b).</summary>
    Max,
    /// <summary>b (exchange).</summary>
    Exch,
    /// <summary>Compare and swap: c when old = b, else old.</summary>
    Cas,
    /// <summary>Wrapping increment: old ≥ b ? 0 : old + 1 (unsigned).</summary>
    Inc,
    /// <summary>Wrapping decrement: old = 0 or old &gt; b ? b : old − 1 (unsigned).</summary>
    Dec,
    /// <summary>old AND b.</summary>
    And,
    /// <summary>old OR b.</summary>
    Or,
    /// <summary>old XOR b.</summary>
    Xor,
}

/// <summary>The shape of an <c>mma.sync</c>.</summary>
public enum MmaShape : byte
{
    /// <summary><c>.m16n8k8</c>: D (16×8) = A (16×8) · B (8×8) + C.</summary>
    M16N8K8,
    /// <summary><c>.m16n8k16</c>: D (16×8) = A (16×16) · B (16×8) + C.</summary>
    M16N8K16,
}
