using CudaBert.Engine;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>Inputs for comparing a CUDA backend primitive with its CPU twin, and their bit-exact comparison (up to rounding: <see cref="AssertClose"/>).</summary>
static class CpuVsCuda
{
    /// <summary>float32 unit roundoff.</summary>
    public const double U = CudaDevice.TestInputs.U;

    public static Tensor Cpu(float[] values, params int[] shape) => Tensor.FromArray(values, new Shape(shape));

    public static Tensor Gpu(float[] values, params int[] shape) => Tensor.FromArray(values, new Shape(shape), device: Device.Cuda);

    public static Tensor Gpu(int[] values, params int[] shape) => Tensor.FromArray(values, new Shape(shape), Device.Cuda);

    public static Tensor Cpu(int[] values, params int[] shape) => Tensor.FromArray(values, new Shape(shape));

    /// <summary>The same bits (kernels that follow the CPU's order of operations).</summary>
    public static void BitEqual(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        BertKernels.KernelAssert.BitEqual(expected.ToArray<float>(), actual.ToArray<float>(), $"{what} of {expected.Shape}");
    }

    /// <summary>Values in ±[0.1, 1]·scale from a fixed seed: never zero (a zero hides a dropped term).</summary>
    public static float[] NonZero(int seed, int count, float scale = 1f) => CudaDevice.TestInputs.NonZero(seed, count, scale);
}
