using CudaBert.Kernels.Device;

namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>Everything the blocks of one launch share: the kernel, its dimensions and parameters, global memory, and the sanitizer's findings.</summary>
internal sealed class LaunchContext(PtxKernel kernel, Dim3 grid, Dim3 block, int dynamicSharedBytes, byte[] parameters,
    DeviceMemory memory, SanitizerOptions options, Func<long> nextRaceEpoch)
{
    public PtxKernel Kernel { get; } = kernel;
    public Dim3 GridDim { get; } = grid;
    public Dim3 BlockDim { get; } = block;
    public int DynamicSharedBytes { get; } = dynamicSharedBytes;
    public byte[] Parameters { get; } = parameters;
    public DeviceMemory Memory { get; } = memory;
    public SanitizerOptions Options { get; } = options;
    public List<SanitizerReport> Reports { get; } = [];

    /// <summary>Reports of one check at one PTX line are kept once per launch, so a bug in a loop does not flood the list.</summary>
    readonly HashSet<(SanitizerCheck, int)> _seen = [];

    public long NextRaceEpoch() => nextRaceEpoch();

    /// <summary>Adds the findings of one block; blocks must be added in block order so the kept report is always the same.</summary>
    public void Add(IEnumerable<SanitizerReport> blockReports)
    {
        foreach (var report in blockReports)
            if (_seen.Add((report.Check, report.Line))) Reports.Add(report);
    }

    long _instructions;
    /// <summary>Thread-instructions interpreted by all blocks of the launch.</summary>
    public long Instructions => Interlocked.Read(ref _instructions);
    public void AddInstructions(long count) => Interlocked.Add(ref _instructions, count);

    /// <summary>A hint for out-of-bounds messages: the allocation the address lies just past (within 4 KB), if any.</summary>
    public string NearestAllocation(ulong address)
    {
        for (ulong back = 1; back <= 4096; back *= 2)
        {
            var a = address >= back ? Memory.Find(address - back, 1) : null;
            if (a is not null) return $" (offset {address - a.Address} of the {a.Size}-byte allocation at 0x{a.Address:x}, past its end)";
        }
        return "";
    }
}
