using System.Runtime.InteropServices;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// The NCCL calls <see cref="NcclCommunicator"/> makes, bound by hand from <c>nccl.h</c>. NCCL is not
/// part of the CUDA driver: it is loaded when a communicator is made, like <c>libcuda.so.1</c>, and a
/// machine without it gets an exception that says so. Every call returns an <c>ncclResult_t</c>, 0 on success.
/// </summary>
static unsafe partial class NcclLibrary
{
    /// <summary>The shared library (NCCL 2.x).</summary>
    public const string FileName = "libnccl.so.2";

    /// <summary>ncclFloat32 in <c>ncclDataType_t</c>.</summary>
    public const int Float32 = 7;
    /// <summary>ncclSum in <c>ncclRedOp_t</c>.</summary>
    public const int Sum = 0;
    /// <summary>ncclAvg in <c>ncclRedOp_t</c> (NCCL 2.10 and later): the sum divided by the number of ranks.</summary>
    public const int Average = 4;

    /// <summary><c>ncclUniqueId</c>: 128 opaque bytes that rank 0 makes and every rank passes to <c>ncclCommInitRank</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct UniqueId
    {
        public const int Size = 128;
        public fixed byte Bytes[Size];
    }

    [LibraryImport(FileName)] public static partial int ncclGetUniqueId(UniqueId* id);
    [LibraryImport(FileName)] public static partial int ncclCommInitRank(out nint communicator, int ranks, UniqueId id, int rank);
    [LibraryImport(FileName)] public static partial int ncclAllReduce(ulong send, ulong receive, nuint count, int datatype, int operation, nint communicator, nint stream);
    [LibraryImport(FileName)] public static partial int ncclBcast(ulong buffer, nuint count, int datatype, int root, nint communicator, nint stream);
    [LibraryImport(FileName)] public static partial int ncclCommDestroy(nint communicator);
    [LibraryImport(FileName)] public static partial byte* ncclGetErrorString(int result);

    /// <summary>Loads the library before the first call, so that its absence is an exception that names it.</summary>
    /// <exception cref="DllNotFoundException">NCCL is not installed (or not on the library path).</exception>
    public static void Open()
    {
        if (!NativeLibrary.TryLoad(FileName, out _))
            throw new DllNotFoundException($"{FileName} (NCCL) could not be loaded: data-parallel training on GPUs needs NVIDIA's NCCL 2 (e.g. the libnccl2 package) on the library path");
    }

    /// <summary>Throws when <paramref name="result"/> is not ncclSuccess, with NCCL's own text for it.</summary>
    public static void Check(int result, string call)
    {
        if (result != 0)
            throw new InvalidOperationException($"{call} failed: {Marshal.PtrToStringUTF8((nint)ncclGetErrorString(result))} (ncclResult_t {result})");
    }
}
