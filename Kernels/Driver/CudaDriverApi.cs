using System.Runtime.InteropServices;

namespace CudaBert.Kernels.Driver;

/// <summary>
/// The CUDA driver API calls we use, bound by hand (declarations from cuda.h). Every call returns a
/// CUresult: 0 is success, anything else goes through <see cref="CudaDriverDevice"/>'s Check into a
/// CudaException. Types: CUdevice is an int ordinal; CUcontext, CUmodule, CUfunction, CUstream and
/// CUevent are opaque pointers (nint); CUdeviceptr is a 64-bit device address (ulong).
/// Several calls are exported under a versioned name (cuda.h maps e.g. cuMemAlloc to cuMemAlloc_v2
/// with a #define): we bind the exported names.
/// </summary>
static unsafe partial class CudaDriverApi
{
    const string Lib = NativeLibraries.Cuda;

    // --- initialization, errors, devices --------------------------------------------------------
    [LibraryImport(Lib)] public static partial int cuInit(uint flags);
    [LibraryImport(Lib)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] public static partial int cuGetErrorName(int error, out byte* name);
    [LibraryImport(Lib)] public static partial int cuGetErrorString(int error, out byte* text);
    [LibraryImport(Lib)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib)] public static partial int cuDeviceTotalMem_v2(out nuint bytes, int device);

    // CUdevice_attribute values
    public const int CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
    public const int CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;
    public const int CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97;

    // --- context: the device's primary context, made current on each calling thread -------------
    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Lib)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] public static partial int cuCtxSynchronize();

    // --- memory ---------------------------------------------------------------------------------
    [LibraryImport(Lib)] public static partial int cuMemAlloc_v2(out ulong address, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemFree_v2(ulong address);
    [LibraryImport(Lib)] public static partial int cuMemcpyHtoD_v2(ulong destination, void* source, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemcpyDtoH_v2(void* destination, ulong source, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemcpyDtoD_v2(ulong destination, ulong source, nuint bytes);
    [LibraryImport(Lib)] public static partial int cuMemcpyHtoDAsync_v2(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemcpyDtoHAsync_v2(void* destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemcpyDtoDAsync_v2(ulong destination, ulong source, nuint bytes, nint stream);
    [LibraryImport(Lib)] public static partial int cuMemsetD8_v2(ulong destination, byte value, nuint count);
    [LibraryImport(Lib)] public static partial int cuMemsetD8Async(ulong destination, byte value, nuint count, nint stream);

    // --- modules and kernels --------------------------------------------------------------------
    [LibraryImport(Lib)] public static partial int cuModuleLoadDataEx(out nint module, byte* image, uint optionCount, int* options, nint* optionValues);
    [LibraryImport(Lib)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Lib)] public static partial int cuModuleGetFunction(out nint function, nint module, byte* name);
    [LibraryImport(Lib)] public static partial int cuFuncSetAttribute(nint function, int attribute, int value);
    [LibraryImport(Lib)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
                                             uint sharedMemBytes, nint stream, void** kernelParams, void** extra);

    // CUjit_option values: a buffer for the JIT compiler's error log and its size
    public const int CU_JIT_ERROR_LOG_BUFFER = 5;
    public const int CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6;
    // CUfunction_attribute: opt in to more than 48 KiB of dynamic shared memory
    public const int CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8;

    // --- tensor maps (TMA): CUtensorMap is 128 opaque bytes, 64-byte aligned; the enums are ints ------
    [LibraryImport(Lib)]
    public static partial int cuTensorMapEncodeTiled(void* tensorMap, int dataType, uint rank, void* globalAddress, ulong* globalDim,
                                                     ulong* globalStrides, uint* boxDim, uint* elementStrides, int interleave,
                                                     int swizzle, int l2Promotion, int oobFill);

    // CUtensorMapInterleave and CUtensorMapFloatOOBfill: the values we pass
    public const int CU_TENSOR_MAP_INTERLEAVE_NONE = 0;
    public const int CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE = 0;

    // --- streams and events ---------------------------------------------------------------------
    [LibraryImport(Lib)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib)] public static partial int cuStreamDestroy_v2(nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] public static partial int cuEventCreate(out nint ev, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventDestroy_v2(nint ev);
    [LibraryImport(Lib)] public static partial int cuEventRecord(nint ev, nint stream);
    [LibraryImport(Lib)] public static partial int cuStreamWaitEvent(nint stream, nint ev, uint flags);
    [LibraryImport(Lib)] public static partial int cuEventSynchronize(nint ev);
    [LibraryImport(Lib)] public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    // --- graphs: stream capture, instantiation, launch ------------------------------------------
    // CUgraph and CUgraphExec are opaque pointers; the flags of cuGraphInstantiateWithFlags are an unsigned long long.
    [LibraryImport(Lib)] public static partial int cuStreamBeginCapture_v2(nint stream, int mode);
    [LibraryImport(Lib)] public static partial int cuStreamEndCapture(nint stream, out nint graph);
    [LibraryImport(Lib)] public static partial int cuStreamIsCapturing(nint stream, out int status);
    [LibraryImport(Lib)] public static partial int cuGraphInstantiateWithFlags(out nint graphExec, nint graph, ulong flags);
    [LibraryImport(Lib)] public static partial int cuGraphLaunch(nint graphExec, nint stream);
    [LibraryImport(Lib)] public static partial int cuGraphExecDestroy(nint graphExec);
    [LibraryImport(Lib)] public static partial int cuGraphDestroy(nint graph);
    [LibraryImport(Lib)] public static partial int cuThreadExchangeStreamCaptureMode(ref int mode);
    [LibraryImport(Lib)] public static partial int cuMemHostAlloc(out nint host, nuint bytes, uint flags);
    [LibraryImport(Lib)] public static partial int cuMemFreeHost(nint host);

    // CUstreamCaptureMode: GLOBAL refuses, while any stream captures, the calls that could silently synchronize with it
    public const int CU_STREAM_CAPTURE_MODE_GLOBAL = 0;
    // ... and RELAXED (set per thread with cuThreadExchangeStreamCaptureMode) allows them on this thread
    public const int CU_STREAM_CAPTURE_MODE_RELAXED = 2;
    // CUstreamCaptureStatus
    public const int CU_STREAM_CAPTURE_STATUS_ACTIVE = 1;
}
