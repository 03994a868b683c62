using System.Runtime.InteropServices;

namespace CudaBert.Engine.Distributed;

/// <summary>
/// The Open MPI calls <see cref="MpiCommunicator"/> makes, bound by hand from <c>mpi.h</c> (Open MPI 4 and
/// later: <c>libmpi.so.40</c>). Every call returns an error code, 0 (MPI_SUCCESS) on success.
/// <para>
/// Handles: in Open MPI, <c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_BYTE</c> and <c>MPI_SUM</c> are
/// macros for the addresses of global objects the library exports (<c>ompi_mpi_comm_world</c>, …), so a
/// handle is the address <see cref="NativeLibrary.GetExport"/> returns for its symbol. (MPICH encodes its
/// handles as integer constants instead: these bindings are for Open MPI only.) A request
/// (<c>MPI_Request</c>, what a non-blocking call returns) is a pointer too, held here as an <c>nint</c>.
/// </para>
/// </summary>
static unsafe partial class MpiLibrary
{
    /// <summary>The shared library, as the Debian and Ubuntu package <c>libopenmpi3</c> installs it.</summary>
    public const string FileName = "libmpi.so.40";

    /// <summary>MPI_THREAD_SERIALIZED: any thread may call MPI, one at a time (the trainer may run off the main thread).</summary>
    public const int ThreadSerialized = 2;

    /// <summary>MPI_IN_PLACE, which Open MPI defines as the address 1: the receive buffer is also the send buffer.</summary>
    public static readonly void* InPlace = (void*)1;

    /// <summary>MPI_STATUS_IGNORE, which Open MPI defines as the null address: no status is written.</summary>
    public static readonly void* StatusIgnore = null;

    [LibraryImport(FileName)] public static partial int MPI_Initialized(out int flag);
    [LibraryImport(FileName)] public static partial int MPI_Finalized(out int flag);
    [LibraryImport(FileName)] public static partial int MPI_Init_thread(int* argc, byte*** argv, int required, out int provided);
    [LibraryImport(FileName)] public static partial int MPI_Comm_rank(nint communicator, out int rank);
    [LibraryImport(FileName)] public static partial int MPI_Comm_size(nint communicator, out int size);
    [LibraryImport(FileName)] public static partial int MPI_Allreduce(void* send, void* receive, int count, nint datatype, nint operation, nint communicator);
    [LibraryImport(FileName)] public static partial int MPI_Iallreduce(void* send, void* receive, int count, nint datatype, nint operation, nint communicator, nint* request);
    [LibraryImport(FileName)] public static partial int MPI_Test(nint* request, out int flag, void* status);
    [LibraryImport(FileName)] public static partial int MPI_Wait(nint* request, void* status);
    [LibraryImport(FileName)] public static partial int MPI_Bcast(void* buffer, int count, nint datatype, int root, nint communicator);
    [LibraryImport(FileName)] public static partial int MPI_Barrier(nint communicator);
    [LibraryImport(FileName)] public static partial int MPI_Finalize();
    [LibraryImport(FileName)] public static partial int MPI_Error_string(int code, byte* text, out int length);

    /// <summary>The handles the communicator passes to every call.</summary>
    public readonly record struct Handles(nint World, nint Float, nint Byte, nint Sum);

    /// <summary>Loads the library and reads the handles of the world communicator, two datatypes and the sum.</summary>
    /// <exception cref="DllNotFoundException">The library cannot be loaded; the message names it and the package that has it.</exception>
    public static Handles Open()
    {
        if (!NativeLibrary.TryLoad(FileName, out nint library))
            throw new DllNotFoundException($"{FileName} (Open MPI) could not be loaded: install Open MPI (Debian/Ubuntu: apt-get install openmpi-bin libopenmpi-dev) or add its lib folder to LD_LIBRARY_PATH");
        return new Handles(
            NativeLibrary.GetExport(library, "ompi_mpi_comm_world"),
            NativeLibrary.GetExport(library, "ompi_mpi_float"),
            NativeLibrary.GetExport(library, "ompi_mpi_byte"),
            NativeLibrary.GetExport(library, "ompi_mpi_op_sum"));
    }

    /// <summary>Throws when <paramref name="code"/> is not MPI_SUCCESS, with MPI's own text for it.</summary>
    public static void Check(int code, string call)
    {
        if (code == 0) return;
        var text = stackalloc byte[512];   // MPI_MAX_ERROR_STRING is 256 in Open MPI
        string message = MPI_Error_string(code, text, out int length) == 0 ? Marshal.PtrToStringUTF8((nint)text, length) : "unknown error";
        throw new InvalidOperationException($"{call} failed: {message} (MPI error {code})");
    }
}
