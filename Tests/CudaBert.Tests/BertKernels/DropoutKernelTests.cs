using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/dropout.cu: the GPU's Philox mask is the CPU backend's, bit for bit.</summary>
public class DropoutKernelTests
{
    // offset % 4 == 0 with aligned x, y: float4 groups plus a scalar tail of n % 4; otherwise every group
    // scalar (an offset not a multiple of 4, or x and y viewed one float into their allocations: shift).
    [Theory]
    [InlineData("software", 0UL, 1001, 0)]               // float4 groups, one element left over
    [InlineData("software", 8UL, 1000, 0)]               // float4 groups only
    [InlineData("software", 8UL, 1003, 1)]               // misaligned pointers: scalar
    [InlineData("software", 7UL, 1001, 0)]               // offset not a multiple of 4: partial first and last groups
    [InlineData("software", (1UL << 32) + 2, 1001, 0)]   // the counter's high word is used
    [InlineData("software", (1UL << 32) + 4, 1002, 0)]   // ... on the float4 path too
    [InlineData("driver", 0UL, 1001, 0)]
    [InlineData("driver", 8UL, 1003, 1)]
    [InlineData("driver", 7UL, 1001, 0)]
    [InlineData("driver", (1UL << 32) + 2, 1001, 0)]
    [InlineData("driver", (1UL << 32) + 4, 1002, 0)]
    public void MaskAndScaleAreTheCpus(string device, ulong offset, int n, int shift)
    {
        const double p = 0.3;
        const ulong seed = 0x0123_4567_89ab_cdefUL;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(110, n);
        using DeviceArray<float> dx = new(gpu, new float[shift].Concat(x).ToArray()), dy = new(gpu, shift + n);

        DropoutKernels.Apply(gpu, dx.Ptr.Offset(shift * sizeof(float)), dy.Ptr.Offset(shift * sizeof(float)), n, p, seed, offset);

        var expected = Cpu.Empty(n);
        Cpu.Backend.Dropout(Cpu.Tensor(x, n), p, seed, offset, expected);
        float[] y = dy.Read()[shift..];
        KernelAssert.BitEqual(expected.ToArray<float>(), y, "y");
        int dropped = y.Count(v => v == 0);             // x has no zeros: a zero is a dropped element
        Assert.InRange(dropped, 250, 350);              // ~Binomial(1001, 0.3): mean 300, sd 14.5
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
