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

    public void Add(SanitizerReport report)
    {
        if (_seen.Add((report.Check, report.Line))) Reports.Add(report);
    }

    /// <summary>A hint for out-of-bounds messages: which allocation the address is just past or before.</summary>
    public string NearestAllocation(ulong address)
    {
        var below = Memory.Find(address, 1);
        if (below is not null) return "";
        for (ulong back = 1; back <= 4096; back *= 2)
        {
            var a = address >= back ? Memory.Find(address - back, 1) : null;
            if (a is not null) return $" ({address - a.End + 1} bytes past the end of the {a.Size}-byte allocation at 0x{a.Address:x})";
        }
        return "";
    }
}
