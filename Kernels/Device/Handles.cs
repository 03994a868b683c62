namespace CudaBert.Kernels.Device;

/// <summary>A loaded PTX module. <see cref="Handle"/> is the driver's CUmodule (or the software GPU's id).</summary>
public sealed record CudaModule(string Name, nint Handle);

/// <summary>A kernel of a loaded module. <see cref="Handle"/> is the driver's CUfunction (or the software GPU's id).</summary>
public sealed record CudaFunction(CudaModule Module, string Name, nint Handle);

/// <summary>A stream (CUstream). Handle 0 is the default stream.</summary>
public sealed record CudaStream(nint Handle);

/// <summary>An event (CUevent) for timing.</summary>
public sealed record CudaEvent(nint Handle);

/// <summary>A CUDA error turned into an exception that names the call, the error and (for launches) the kernel.</summary>
public sealed class CudaException(string call, int code, string errorName, string? kernel = null, string? detail = null)
    : Exception(Format(call, code, errorName, kernel, detail))
{
    public string Call { get; } = call;
    public int Code { get; } = code;
    public string ErrorName { get; } = errorName;
    public string? Kernel { get; } = kernel;

    static string Format(string call, int code, string errorName, string? kernel, string? detail) =>
        $"{call} failed: {errorName} ({code})" + (kernel is null ? "" : $" in kernel '{kernel}'") + (detail is null ? "" : $": {detail}");
}
