using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Kernels;

namespace CudaBert.Tests.CudaKernels;

/// <summary>Kernels/bert/permute.cu: head split and merge against the CPU backend's Permute.</summary>
public class PermuteKernelTests
{
    const int B = 2, S = 5, H = 3;

    [Theory]
    [InlineData("software", 7)]        // rows shorter than a warp: 8 rows per block
    [InlineData("software", 64)]       // BERT-base's head size: 4 rows per block
    [InlineData("driver", 7)]
    [InlineData("driver", 64)]
    public void SplitAndMergeAreTheCpusPermutes(string device, int D)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(100, B * S * H * D);
        using DeviceArray<float> dx = new(gpu, x), split = new(gpu, x.Length), merged = new(gpu, x.Length);

        PermuteKernels.SplitHeads(gpu, dx.Ptr, split.Ptr, B, S, H, D);
        PermuteKernels.MergeHeads(gpu, split.Ptr, merged.Ptr, B, H, S, D);

        var expected = Cpu.Empty(B, H, S, D);
        Cpu.Backend.Permute(Cpu.Tensor(x, B, S, H, D), [0, 2, 1, 3], expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), split.Read(), "split");
        KernelAssert.BitEqual(x, merged.Read(), "merge(split(x))");
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
