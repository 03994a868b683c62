using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Kernels;

namespace CudaBert.Tests.CudaKernels;

/// <summary>Kernels/bert/dropout.cu: the GPU's Philox mask is the CPU backend's, bit for bit.</summary>
public class DropoutKernelTests
{
    [Theory]
    [InlineData("software", 0UL)]
    [InlineData("software", 7UL)]                      // offset not a multiple of 4: partial first and last groups
    [InlineData("software", (1UL << 32) + 2)]          // the counter's high word is used
    [InlineData("driver", 0UL)]
    [InlineData("driver", 7UL)]
    [InlineData("driver", (1UL << 32) + 2)]
    public void MaskAndScaleAreTheCpus(string device, ulong offset)
    {
        const int n = 1001;
        const double p = 0.3;
        const ulong seed = 0x0123_4567_89ab_cdefUL;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(110, n);
        using DeviceArray<float> dx = new(gpu, x), dy = new(gpu, n);

        DropoutKernels.Apply(gpu, dx.Ptr, dy.Ptr, n, p, seed, offset);

        var expected = Cpu.Empty(n);
        Cpu.Backend.Dropout(Cpu.Tensor(x, n), p, seed, offset, expected);
        float[] y = dy.Read();
        KernelAssert.BitEqual(expected.ToArray<float>(), y, "y");
        int dropped = y.Count(v => v == 0);             // x has no zeros: a zero is a dropped element
        Assert.InRange(dropped, 250, 350);              // ~Binomial(1001, 0.3): mean 300, sd 14.5
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
