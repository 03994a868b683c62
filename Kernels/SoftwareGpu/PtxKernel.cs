namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>A kernel parameter: where its bytes sit in the kernel's <c>.param</c> space.</summary>
public sealed record KernelParameter(string Name, PtxType Type, int Offset, int Size);

/// <summary>
/// One <c>.entry</c> after decoding: its parameter layout, register file size, shared/local memory
/// layout and instruction array. Immutable once loaded; many launches share it.
/// </summary>
public sealed class PtxKernel
{
    public required string Name { get; init; }
    public required IReadOnlyList<KernelParameter> Parameters { get; init; }
    public required int ParameterBytes { get; init; }
    /// <summary>Number of 64-bit register slots one thread needs.</summary>
    public required int RegisterCount { get; init; }
    /// <summary>Bytes of statically declared <c>.shared</c> variables (the dynamic part starts at <see cref="DynamicSharedOffset"/>).</summary>
    public required int StaticSharedBytes { get; init; }
    public required int DynamicSharedOffset { get; init; }
    /// <summary>Bytes of <c>.local</c> memory per thread.</summary>
    public required int LocalBytes { get; init; }
    public required Instruction[] Code { get; init; }
    /// <summary>Whether the kernel has <c>atom</c>/<c>red</c>: its blocks then always run in order, so atomics stay deterministic.</summary>
    public required bool UsesAtomics { get; init; }
}

/// <summary>A parsed PTX module: its header and kernels.</summary>
public sealed class PtxModule
{
    public required string Name { get; init; }
    public required string Version { get; init; }
    public required string Target { get; init; }
    public required IReadOnlyList<PtxKernel> Kernels { get; init; }

    public PtxKernel? Find(string kernelName) => Kernels.FirstOrDefault(k => k.Name == kernelName);
}

/// <summary>A module-scope <c>.global</c> or <c>.const</c> variable that needs device memory.</summary>
public sealed record ModuleVariable(string Name, StateSpace Space, int Size, int Alignment, byte[] Initializer);
