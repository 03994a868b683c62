using CudaBert.Course;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/course/reduction/2_shared_tree.cu: tree reduction in dynamic shared memory, one partial per block.</summary>
public class BlockReduceTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void SumsEachBlocksElements(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(CoursePtx.Modules.Load(gpu, "course/reduction/2_shared_tree"), "block_reduce_sum");
        const int n = 3000, block = 128, perBlock = 2 * block;
        int blocks = (n + perBlock - 1) / perBlock;      // 12; the last covers only 184 elements
        float[] x = TestInputs.NonZero(5, n);
        using DeviceArray<float> dx = new(gpu, x), partial = new(gpu, blocks);

        gpu.Launch(kernel, blocks, block, block * sizeof(float), null, new KernelArgs().Ptr(dx.Ptr).Ptr(partial.Ptr).I32(n));
        gpu.Synchronize();

        // Each element passes through 1 + log2(128) = 8 float additions (the first pairing, then the
        // tree), so |error| ≤ 8u · Σ|x| (tree summation bound, u = 2^-24).
        const int depth = 8;
        float[] sums = partial.Read();
        for (int b = 0; b < blocks; b++)
        {
            var slice = x.AsSpan(b * perBlock, Math.Min(perBlock, n - b * perBlock)).ToArray();
            double exact = slice.Sum(v => (double)v), magnitude = slice.Sum(v => Math.Abs((double)v));
            AssertClose.Scalar(exact, sums[b], $"partial[{b}]", absolute: depth * TestInputs.U * magnitude);
        }
    }
}
