using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CudaBert.Engine.Cpu;

/// <summary>
/// The packing buffers of one calling thread, kept between calls so that a training step does not
/// allocate: pinned (they are used through pointers while worker threads read them) and 64-byte
/// aligned (one AVX-512 load never straddles two cache lines). A thread's buffers grow to the
/// largest product it has run (packed B holds all of op(B): 9 MiB for a 3072×768 weight) and are
/// freed with the thread.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    private const int AlignmentFloats = 16;

    [ThreadStatic] private static GemmWorkspace? current;

    private float[] packedA = [];
    private float[] packedB = [];

    /// <summary>The calling thread's workspace (each thread that calls the GEMM gets its own).</summary>
    public static GemmWorkspace ForCurrentThread() => current ??= new GemmWorkspace();

    /// <summary>A pointer to at least <paramref name="floats"/> floats for packed A slivers.</summary>
    public float* PackedA(long floats) => Aligned(ref packedA, floats);

    /// <summary>A pointer to at least <paramref name="floats"/> floats for packed B slivers.</summary>
    public float* PackedB(long floats) => Aligned(ref packedB, floats);

    private static float* Aligned(ref float[] buffer, long floats)
    {
        if (buffer.Length < floats + AlignmentFloats)
            buffer = GC.AllocateUninitializedArray<float>(checked((int)(floats + AlignmentFloats)), pinned: true);
        // Pinned arrays never move, so the address stays valid for the array's lifetime.
        nint address = (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(buffer));
        nint misalignment = address & (AlignmentFloats * sizeof(float) - 1);
        return (float*)(misalignment == 0 ? address : address + AlignmentFloats * sizeof(float) - misalignment);
    }
}
