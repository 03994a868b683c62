namespace CudaBert.Kernels.Device;

/// <summary>
/// The typed arguments of one launch, in the kernel's parameter order. The real driver passes a
/// pointer to each value (cuLaunchKernel's kernelParams); the software GPU copies each value into
/// the kernel's .param space by position.
/// </summary>
public sealed class KernelArgs
{
    /// <summary>The C type of one kernel parameter.</summary>
    public enum Kind
    {
        /// <summary>A device pointer (<c>T*</c>, 8 bytes).</summary>
        Ptr,
        /// <summary><c>int</c> (4 bytes).</summary>
        I32,
        /// <summary><c>unsigned int</c> (4 bytes).</summary>
        U32,
        /// <summary><c>long long</c> (8 bytes).</summary>
        I64,
        /// <summary><c>unsigned long long</c> (8 bytes).</summary>
        U64,
        /// <summary><c>float</c> (4 bytes).</summary>
        F32,
        /// <summary><c>double</c> (8 bytes).</summary>
        F64,
        /// <summary>A <c>const __grid_constant__ CUtensorMap</c> passed by value (128 bytes, 64-byte aligned).</summary>
        TensorMap,
    }

    /// <summary>One argument: its type and its value's bit pattern, zero-extended to 64 bits (or, for a tensor map, its bytes).</summary>
    /// <param name="Type">The parameter's C type.</param>
    /// <param name="Bits">The value's bits: the address of a pointer, the two's-complement bits of an integer, the IEEE bits of a float.</param>
    /// <param name="Map">The tensor map of a <see cref="Kind.TensorMap"/> argument; null for the others.</param>
    public readonly record struct Arg(Kind Type, ulong Bits, TensorMap? Map = null)
    {
        /// <summary>Bytes the value takes in the kernel's parameter space: 4, 8 or 128.</summary>
        public int Size => Type switch
        {
            Kind.I32 or Kind.U32 or Kind.F32 => 4,
            Kind.TensorMap => Device.TensorMap.Size,
            _ => 8,
        };
    }

    readonly List<Arg> _args = [];
    /// <summary>The arguments added so far, in order.</summary>
    public IReadOnlyList<Arg> Items => _args;

    /// <summary>Appends a device pointer and returns this object, so that calls chain.</summary>
    public KernelArgs Ptr(DevicePtr p) { _args.Add(new(Kind.Ptr, p.Address)); return this; }
    /// <summary>Appends an <c>int</c> and returns this object.</summary>
    public KernelArgs I32(int v) { _args.Add(new(Kind.I32, (uint)v)); return this; }
    /// <summary>Appends an <c>unsigned int</c> and returns this object.</summary>
    public KernelArgs U32(uint v) { _args.Add(new(Kind.U32, v)); return this; }
    /// <summary>Appends a <c>long long</c> and returns this object.</summary>
    public KernelArgs I64(long v) { _args.Add(new(Kind.I64, (ulong)v)); return this; }
    /// <summary>Appends an <c>unsigned long long</c> and returns this object.</summary>
    public KernelArgs U64(ulong v) { _args.Add(new(Kind.U64, v)); return this; }
    /// <summary>Appends a <c>float</c> and returns this object.</summary>
    public KernelArgs F32(float v) { _args.Add(new(Kind.F32, BitConverter.SingleToUInt32Bits(v))); return this; }
    /// <summary>Appends a <c>double</c> and returns this object.</summary>
    public KernelArgs F64(double v) { _args.Add(new(Kind.F64, BitConverter.DoubleToUInt64Bits(v))); return this; }
    /// <summary>Appends a tensor map, passed by value (a <c>const __grid_constant__ CUtensorMap</c> parameter), and returns this object.</summary>
    public KernelArgs TensorMap(TensorMap map) { _args.Add(new(Kind.TensorMap, 0, map)); return this; }
}
