using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.BertKernels;

/// <summary>
/// Bit-exact comparisons of kernel outputs and the software GPU's sanitizer verdict (comparisons up to
/// rounding are <see cref="AssertClose"/>'s).
/// </summary>
static class KernelAssert
{
    /// <summary>Bit-identical outputs (what a deterministic kernel that follows the CPU's order of operations must give).</summary>
    public static void BitEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(BitConverter.SingleToUInt32Bits(expected[i]) == BitConverter.SingleToUInt32Bits(actual[i]),
                $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (bits differ)");
    }

    /// <summary>On the software GPU: no out-of-bounds access, race or divergent barrier was reported (the hardware reports nothing).</summary>
    public static void NoSanitizerFindings(ICudaDevice gpu)
    {
        if (gpu is SoftwareGpuDevice software)
            Assert.True(software.Reports.Count == 0, "sanitizer: " + string.Join("; ", software.Reports));
    }
}

/// <summary>The CPU backend as the referee: run one of its primitives on host arrays.</summary>
static class Cpu
{
    public static Tensor Tensor(float[] values, params int[] shape) => CudaBert.Engine.Tensor.FromArray(values, new Shape(shape));
    public static Tensor Tensor(int[] values, params int[] shape) => CudaBert.Engine.Tensor.FromArray(values, new Shape(shape));
    public static Tensor Empty(params int[] shape) => CudaBert.Engine.Tensor.Empty(new Shape(shape));
    public static CpuBackend Backend => CpuBackend.Instance;
}
