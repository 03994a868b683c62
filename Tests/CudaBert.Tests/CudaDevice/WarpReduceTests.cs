using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/warp_reduce.cu: shfl.sync butterfly sum and vote.sync ballot count.</summary>
public class WarpReduceTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void SumsAndCountsPositivesPerWarp(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(TestPtx.Modules.Load(gpu, "tests/warp_reduce"), "warp_reduce_sum");
        const int warps = 40, n = 32 * warps, block = 128;
        float[] x = TestInputs.NonZero(6, n);
        using DeviceArray<float> dx = new(gpu, x), sums = new(gpu, warps);
        using DeviceArray<int> positives = new(gpu, warps);

        gpu.Launch(kernel, n / block, block, 0, null, new KernelArgs().Ptr(dx.Ptr).Ptr(sums.Ptr).Ptr(positives.Ptr).I32(n));
        gpu.Synchronize();

        // Butterfly over 32 lanes: 5 additions deep, |error| ≤ 5u · Σ|x|. The count is exact.
        float[] sum = sums.Read();
        int[] count = positives.Read();
        for (int w = 0; w < warps; w++)
        {
            var lanes = x.AsSpan(32 * w, 32).ToArray();
            AssertClose.Scalar(lanes.Sum(v => (double)v), sum[w], $"sum of warp {w}", absolute: 5 * TestInputs.U * lanes.Sum(v => Math.Abs((double)v)));
            Assert.Equal(lanes.Count(v => v > 0), count[w]);
        }
    }
}
