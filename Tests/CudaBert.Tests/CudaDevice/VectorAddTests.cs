using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/vector_add.cu: one thread per element, a partial last block.</summary>
public class VectorAddTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void AddsElementwiseExactly(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/vector_add"), "vector_add");
        const int n = 1000, block = 256;                 // 4 blocks, the last one 232 threads past the end
        float[] a = TestInputs.NonZero(1, n), b = TestInputs.NonZero(2, n);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, n);

        gpu.Launch(kernel, (n + block - 1) / block, block, 0, null, new KernelArgs().Ptr(da.Ptr).Ptr(db.Ptr).Ptr(dc.Ptr).I32(n));
        gpu.Synchronize();

        // One float32 addition per element, correctly rounded on every device: bit-exact.
        float[] c = dc.Read();
        for (int i = 0; i < n; i++)
            Assert.True(a[i] + b[i] == c[i], $"c[{i}]: expected {a[i] + b[i]:R}, got {c[i]:R}");
    }
}
