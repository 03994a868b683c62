namespace CudaBert.Kernels.Device;

/// <summary>A loaded PTX module. <see cref="Handle"/> is the driver's CUmodule (or the software GPU's id).</summary>
public sealed record CudaModule(string Name, nint Handle);

/// <summary>A kernel of a loaded module. <see cref="Handle"/> is the driver's CUfunction (or the software GPU's id).</summary>
public sealed record CudaFunction(CudaModule Module, string Name, nint Handle);

/// <summary>
/// A stream (CUstream). Handle 0 is the device's default stream: the one a launch without a stream goes to
/// (for copies, passing it instead of null asks for an asynchronous copy queued on that stream).
/// </summary>
public sealed record CudaStream(nint Handle);

/// <summary>An event (CUevent) for timing.</summary>
public sealed record CudaEvent(nint Handle);

/// <summary>
/// A captured, instantiated CUDA graph (CUgraphExec): the work queued on a stream between
/// <see cref="ICudaDevice.BeginCapture"/> and <see cref="ICudaDevice.EndCapture"/>, replayed as a whole by
/// <see cref="ICudaDevice.LaunchGraph"/> with the arguments it had when it was captured.
/// </summary>
/// <param name="Handle">The driver's CUgraphExec, or the software GPU's id.</param>
/// <param name="Operations">How many launches, copies and memsets the graph holds.</param>
public sealed record CudaGraph(nint Handle, int Operations);

/// <summary>A CUDA error turned into an exception that names the call, the error and (for launches) the kernel.</summary>
public sealed class CudaException(string call, int code, string errorName, string? kernel = null, string? detail = null)
    : Exception(Format(call, code, errorName, kernel, detail))
{
    /// <summary>The driver or cuBLAS function that failed, e.g. <c>cuLaunchKernel</c>.</summary>
    public string Call { get; } = call;
    /// <summary>The numeric CUresult (or cublasStatus_t) the call returned; never 0 (success).</summary>
    public int Code { get; } = code;
    /// <summary>The symbolic name of <see cref="Code"/>, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string ErrorName { get; } = errorName;
    /// <summary>The kernel a failed launch (or an error a launch left behind) belongs to; null for other calls.</summary>
    public string? Kernel { get; } = kernel;

    static string Format(string call, int code, string errorName, string? kernel, string? detail) =>
        $"{call} failed: {errorName} ({code})" + (kernel is null ? "" : $" in kernel '{kernel}'") + (detail is null ? "" : $": {detail}");
}
