using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/grid_stride.cu: saxpy with a grid much smaller than the array.</summary>
public class GridStrideTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void SaxpyCoversEveryElementOnce(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/grid_stride"), "saxpy_grid_stride");
        const int n = 5000, grid = 3, block = 128;       // stride 384: each thread visits 13 or 14 elements
        const float alpha = -1.75f;
        float[] x = TestInputs.NonZero(3, n), y = TestInputs.NonZero(4, n);
        using DeviceArray<float> dx = new(gpu, x), dy = new(gpu, y);

        gpu.Launch(kernel, grid, block, 0, null, new KernelArgs().I64(n).F32(alpha).Ptr(dx.Ptr).Ptr(dy.Ptr));
        gpu.Synchronize();

        // NVRTC contracts alpha * x + y into one fma.rn.f32: a single rounding, so bit-exact against
        // FusedMultiplyAdd. An element visited twice would be off by alpha * x.
        float[] result = dy.Read();
        for (int i = 0; i < n; i++)
        {
            float expected = MathF.FusedMultiplyAdd(alpha, x[i], y[i]);
            Assert.True(expected == result[i], $"y[{i}]: expected {expected:R}, got {result[i]:R}");
        }
    }
}
