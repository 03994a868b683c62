using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// GELU's tanh approximation on the CUDA backend (Kernels/bert/gelu_tanh.cu) against the CPU backend,
/// forward and backward, on 7 × 37 values in ±[0.4, 4] (both tails and the middle; 259 elements, so
/// the float4 path and the scalar tail both run), and in place.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class GeluTanhPrimitiveTests(CudaTestDevice device)
{
    const int Rows = 7, Cols = 37;
    static readonly CpuBackend Cpu = CpuBackend.Instance;

    // The kernel computes in float32 with CUDA's tanhf (a few ulp), the CPU in double rounded once.
    // For x < 0, ½x·(1 + t) cancels: an error of a few ulp of 1 in t becomes |x|·(a few u) absolute,
    // ≤ 4·4u here; elsewhere a few roundings of the result: 8u relative. (Measured on the software
    // GPU: at most 4u absolute, forward and backward.)
    const double Absolute = 16 * U, Relative = 8 * U;

    [Fact]
    public void ForwardAndBackwardMatchTheCpu()
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(41, Rows * Cols, 4f), dy = NonZero(42, Rows * Cols);
        Tensor cx = CpuVsCuda.Cpu(x, Rows, Cols), cdy = CpuVsCuda.Cpu(dy, Rows, Cols), gx = Gpu(x, Rows, Cols), gdy = Gpu(dy, Rows, Cols);
        Tensor cy = Tensor.Empty([Rows, Cols]), gy = Tensor.Empty([Rows, Cols], device: Device.Cuda);
        Tensor cdx = Tensor.Empty([Rows, Cols]), gdx = Tensor.Empty([Rows, Cols], device: Device.Cuda);

        Cpu.GeluTanh(cx, cy); device.Backend.GeluTanh(gx, gy);
        AssertClose.Elementwise(cy, gy, "gelu_tanh", absolute: Absolute, relative: Relative);
        Cpu.GeluTanhBackward(cx, cdy, cdx); device.Backend.GeluTanhBackward(gx, gdy, gdx);
        AssertClose.Elementwise(cdx, gdx, "gelu_tanh backward", absolute: Absolute, relative: Relative);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void InPlaceGivesTheSameBitsAsOutOfPlace()
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(43, Rows * Cols, 4f);
        Tensor gx = Gpu(x, Rows, Cols), gy = Tensor.Empty([Rows, Cols], device: Device.Cuda);
        device.Backend.GeluTanh(gx, gy);
        device.Backend.GeluTanh(gx, gx);
        Assert.Equal(gy.ToArray<float>(), gx.ToArray<float>());
        device.AssertNoSanitizerFindings();
    }
}
