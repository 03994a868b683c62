using CudaBert.Kernels.Device;
using CudaBert.Kernels.Launch;

namespace CudaBert.Engine.Cuda;

// Dropout with the CPU's Philox mask: Kernels/bert/dropout.cu.
public sealed partial class CudaBackend
{
    /// <summary>
    /// The same counter-based mask bits as the CPU backend; p = 1 drops everything (a memset). While a graph is
    /// captured the kernel also reads a shift of the stream position from the graph's memory (<see cref="CapturedGraph.ShiftDropout"/>).
    /// </summary>
    public void Dropout(Tensor x, double p, ulong seed, ulong offset, Tensor y)
    {
        const string primitive = nameof(Dropout);
        RequireFloat32(primitive, x, y);
        if (x.NumElements == 0) return;
        if (p >= 1) { Fill(y, 0); return; }
        DropoutKernels.Apply(Gpu, Ptr(x, primitive), Ptr(y, primitive), x.NumElements, p, seed, offset, offsetShift: DropoutShift(seed));
    }

    /// <summary>Where the kernel finds the shift of stream <paramref name="seed"/>: the capture's slot, or null (no shift) outside a capture.</summary>
    DevicePtr DropoutShift(ulong seed) => capture?.ShiftOf(seed) ?? DevicePtr.Null;
}
