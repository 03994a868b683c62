using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/permute.cu: head split and merge against the CPU backend's Permute.</summary>
public class PermuteKernelTests
{
    const int B = 2, S = 5, H = 3;

    [Theory]
    [InlineData("software", 7, 0)]      // floats (7 % 4 ≠ 0): 8 threads per row, 32 rows per block
    [InlineData("software", 12, 0)]     // float4: 3 vectors per row on 4 threads
    [InlineData("software", 64, 0)]     // BERT-base's head size: 16 float4 threads per row
    [InlineData("software", 64, 1)]     // the same misaligned (x and the outputs one float in): floats
    [InlineData("software", 200, 0)]    // float4: 50 vectors per row, two warps along it
    [InlineData("driver", 7, 0)]
    [InlineData("driver", 64, 0)]
    [InlineData("driver", 64, 1)]
    public void SplitAndMergeAreTheCpusPermutes(string device, int D, int shift)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(100, B * S * H * D);
        using DeviceArray<float> dx = new(gpu, new float[shift].Concat(x).ToArray()), split = new(gpu, shift + x.Length),
            merged = new(gpu, shift + x.Length);
        long skip = shift * sizeof(float);

        PermuteKernels.SplitHeads(gpu, dx.Ptr.Offset(skip), split.Ptr.Offset(skip), B, S, H, D);
        PermuteKernels.MergeHeads(gpu, split.Ptr.Offset(skip), merged.Ptr.Offset(skip), B, H, S, D);

        var expected = Cpu.Empty(B, H, S, D);
        Cpu.Backend.Permute(Cpu.Tensor(x, B, S, H, D), [0, 2, 1, 3], expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), split.Read()[shift..], "split");
        KernelAssert.BitEqual(x, merged.Read()[shift..], "merge(split(x))");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", new[] { 2, 3, 5 }, new[] { 2, 0, 1 })]
    [InlineData("software", new[] { 3, 7 }, new[] { 1, 0 })]                          // a transpose
    [InlineData("software", new[] { 2, 1, 3, 2, 4, 3 }, new[] { 5, 0, 3, 1, 4, 2 })]  // six axes, one of size 1
    [InlineData("driver", new[] { 2, 3, 5 }, new[] { 2, 0, 1 })]
    [InlineData("driver", new[] { 2, 1, 3, 2, 4, 3 }, new[] { 5, 0, 3, 1, 4, 2 })]
    public void GeneralPermuteIsTheCpus(string device, int[] shape, int[] axes)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        int n = shape.Aggregate(1, (a, b) => a * b);
        float[] x = TestInputs.NonZero(101, n);
        using DeviceArray<float> dx = new(gpu, x), dy = new(gpu, n);

        PermuteKernels.Permute(gpu, dx.Ptr, dy.Ptr, shape, axes);

        var expected = Cpu.Empty(axes.Select(a => shape[a]).ToArray());
        Cpu.Backend.Permute(Cpu.Tensor(x, shape), axes, expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), dy.Read(), "y");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Fact]
    public void RejectsAxesThatAreNotAPermutation()
    {
        using var gpu = new CudaBert.Kernels.SoftwareGpu.SoftwareGpuDevice();
        var error = Assert.Throws<ArgumentException>(() =>
            PermuteKernels.Permute(gpu, new CudaBert.Kernels.Device.DevicePtr(16), new CudaBert.Kernels.Device.DevicePtr(16), [2, 3], [0, 0]));
        Assert.Contains("not a permutation", error.Message);
    }
}
