using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>The kinds of bug the software GPU's sanitizer reports.</summary>
public enum SanitizerCheck
{
    /// <summary>A global access outside every live allocation (fatal, as on hardware).</summary>
    GlobalOutOfBounds,
    /// <summary>An access whose address is not a multiple of its size (fatal, as on hardware).</summary>
    MisalignedAccess,
    /// <summary>A shared (or local/param) access outside the block's memory (fatal).</summary>
    SharedOutOfBounds,
    /// <summary>A read of global memory no copy, memset or kernel has written (opt-in).</summary>
    UninitializedRead,
    /// <summary>Two threads touch the same shared byte between two barriers, at least one writing.</summary>
    SharedRace,
    /// <summary>A barrier not reached by all threads of the block (some exited, or they wait at different barriers).</summary>
    DivergentBarrier,
    /// <summary>No thread can make progress: every live thread waits for others that never arrive (fatal).</summary>
    Deadlock,
    /// <summary>A warp collective whose member mask names a lane that has exited or waits elsewhere (fatal).</summary>
    InvalidCollective,
}

/// <summary>A block or thread index (<c>blockIdx</c>, <c>threadIdx</c>): unlike an extent, unused dimensions are 0.</summary>
public readonly record struct Index3(uint X, uint Y = 0, uint Z = 0)
{
    /// <summary>The index of the <paramref name="linear"/>-th block of a grid, or thread of a block, x varying fastest as in CUDA.</summary>
    public static Index3 FromLinear(long linear, Dim3 extent) =>
        new((uint)(linear % extent.X), (uint)(linear / extent.X % extent.Y), (uint)(linear / ((long)extent.X * extent.Y)));

    /// <summary>"(x,y,z)", e.g. "(6,0,0)".</summary>
    public override string ToString() => $"({X},{Y},{Z})";
}

/// <summary>One sanitizer finding, with where it happened.</summary>
/// <param name="Check">What kind of bug it is.</param>
/// <param name="Kernel">The kernel's name.</param>
/// <param name="Line">The 1-based line of the offending instruction in the module's PTX text.</param>
/// <param name="Instruction">The offending instruction as written, e.g. <c>ld.shared.f32 %f1, [%r4]</c>.</param>
/// <param name="Block">The block that executed it.</param>
/// <param name="Thread">The thread (within the block) that executed it.</param>
/// <param name="Message">What went wrong, with the addresses, sizes or threads involved.</param>
public sealed record SanitizerReport(SanitizerCheck Check, string Kernel, int Line, string Instruction, Index3 Block, Index3 Thread, string Message)
{
    /// <summary>One line naming the check, kernel, PTX line, instruction, block, thread and message.</summary>
    public override string ToString() =>
        $"{Check} in kernel '{Kernel}' at PTX line {Line} ({Instruction}), block {Block} thread {Thread}: {Message}";
}

/// <summary>What the sanitizer checks. Bounds, races and barriers are on by default; uninitialized reads are opt-in.</summary>
public sealed record SanitizerOptions
{
    /// <summary>Report <see cref="SanitizerCheck.SharedRace"/>: conflicting shared-memory accesses of two threads between barriers. Default on.</summary>
    public bool CheckRaces { get; init; } = true;
    /// <summary>Report <see cref="SanitizerCheck.DivergentBarrier"/>: barriers that not every thread of the block reaches. Default on.</summary>
    public bool CheckBarriers { get; init; } = true;
    /// <summary>Report reads of never-written global memory. Costs one flag per allocated byte; applies to allocations made after it is set.</summary>
    public bool CheckUninitializedReads { get; init; }
    /// <summary>
    /// A thread that runs this many instructions without reaching a barrier, collective or its end is
    /// stopped as a <see cref="SanitizerCheck.Deadlock"/>: threads run one at a time here, so a thread
    /// spinning on a flag another thread of the launch would set never terminates.
    /// </summary>
    public long MaxInstructionsWithoutSync { get; init; } = 1L << 30;
    /// <summary>Throw a <see cref="Device.CudaException"/> at the end of a launch that produced non-fatal reports.</summary>
    public bool ThrowOnReport { get; init; }
}

/// <summary>A fatal fault inside a kernel (bad address, deadlock): stops the launch.</summary>
internal sealed class KernelFaultException(SanitizerReport report) : Exception(report.ToString())
{
    /// <summary>The finding that stopped the launch.</summary>
    public SanitizerReport Report { get; } = report;
}
