namespace CudaBert.Kernels.SoftwareGpu;

/// <summary>A kernel parameter: where its bytes sit in the kernel's <c>.param</c> space.</summary>
/// <param name="Name">The name in the PTX, e.g. <c>add_f32_param_0</c>.</param>
/// <param name="Type">The declared type (<c>.u64</c> for pointers).</param>
/// <param name="Offset">Byte offset in the parameter space, aligned to the parameter's alignment.</param>
/// <param name="Size">Size in bytes.</param>
public sealed record KernelParameter(string Name, PtxType Type, int Offset, int Size);

/// <summary>
/// One <c>.entry</c> after decoding: its parameter layout, register file size, shared/local memory
/// layout and instruction array. Immutable once loaded; many launches share it.
/// </summary>
public sealed class PtxKernel
{
    /// <summary>The entry's name, e.g. <c>add_f32</c> (what <c>cuModuleGetFunction</c> looks up).</summary>
    public required string Name { get; init; }
    /// <summary>The parameters in declaration order (the order of a launch's arguments).</summary>
    public required IReadOnlyList<KernelParameter> Parameters { get; init; }
    /// <summary>Total bytes of the <c>.param</c> space, padding included.</summary>
    public required int ParameterBytes { get; init; }
    /// <summary>Number of 64-bit register slots one thread needs.</summary>
    public required int RegisterCount { get; init; }
    /// <summary>Bytes of statically declared <c>.shared</c> variables (the dynamic part starts at <see cref="DynamicSharedOffset"/>).</summary>
    public required int StaticSharedBytes { get; init; }
    /// <summary>Byte offset in the block's shared memory where the <c>extern .shared</c> (dynamic) array starts: the static bytes rounded up to its alignment.</summary>
    public required int DynamicSharedOffset { get; init; }
    /// <summary>Bytes of <c>.local</c> memory per thread.</summary>
    public required int LocalBytes { get; init; }
    /// <summary>The decoded instructions; branch targets are indices into this array.</summary>
    public required Instruction[] Code { get; init; }
    /// <summary>Whether the kernel has <c>atom</c>/<c>red</c>: its blocks then always run in order, so atomics stay deterministic.</summary>
    public required bool UsesAtomics { get; init; }
}

/// <summary>A parsed PTX module: its header and kernels.</summary>
public sealed class PtxModule
{
    /// <summary>The name the module was loaded under, e.g. <c>bert/softmax</c>.</summary>
    public required string Name { get; init; }
    /// <summary>The PTX ISA version of the <c>.version</c> directive, e.g. "8.5".</summary>
    public required string Version { get; init; }
    /// <summary>The <c>.target</c> directive's value, e.g. "sm_80" (further options joined with commas).</summary>
    public required string Target { get; init; }
    /// <summary>The module's <c>.entry</c> kernels, in file order.</summary>
    public required IReadOnlyList<PtxKernel> Kernels { get; init; }

    /// <summary>The kernel named <paramref name="kernelName"/>, or null when the module has none.</summary>
    public PtxKernel? Find(string kernelName) => Kernels.FirstOrDefault(k => k.Name == kernelName);
}

/// <summary>A module-scope <c>.global</c> or <c>.const</c> variable that needs device memory.</summary>
/// <param name="Name">The variable's name in the PTX.</param>
/// <param name="Space">Global or Const.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Alignment">Required alignment in bytes.</param>
/// <param name="Initializer">The initial bytes (zeros where the PTX gives no initializer).</param>
public sealed record ModuleVariable(string Name, StateSpace Space, int Size, int Alignment, byte[] Initializer);
