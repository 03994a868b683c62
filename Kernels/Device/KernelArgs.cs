namespace CudaBert.Kernels.Device;

/// <summary>
/// The typed arguments of one launch, in the kernel's parameter order. The real driver passes a
/// pointer to each value (cuLaunchKernel's kernelParams); the software GPU copies each value into
/// the kernel's .param space by position.
/// </summary>
public sealed class KernelArgs
{
    public enum Kind { Ptr, I32, U32, I64, U64, F32, F64 }

    public readonly record struct Arg(Kind Type, ulong Bits)
    {
        public int Size => Type is Kind.I32 or Kind.U32 or Kind.F32 ? 4 : 8;
    }

    readonly List<Arg> _args = [];
    public IReadOnlyList<Arg> Items => _args;

    public KernelArgs Ptr(DevicePtr p) { _args.Add(new(Kind.Ptr, p.Address)); return this; }
    public KernelArgs I32(int v) { _args.Add(new(Kind.I32, (uint)v)); return this; }
    public KernelArgs U32(uint v) { _args.Add(new(Kind.U32, v)); return this; }
    public KernelArgs I64(long v) { _args.Add(new(Kind.I64, (ulong)v)); return this; }
    public KernelArgs U64(ulong v) { _args.Add(new(Kind.U64, v)); return this; }
    public KernelArgs F32(float v) { _args.Add(new(Kind.F32, BitConverter.SingleToUInt32Bits(v))); return this; }
    public KernelArgs F64(double v) { _args.Add(new(Kind.F64, BitConverter.DoubleToUInt64Bits(v))); return this; }
}
