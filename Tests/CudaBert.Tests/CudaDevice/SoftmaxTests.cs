using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>Kernels/tests/softmax.cu: row softmax with warp-shuffle + shared-memory reductions and ex2.approx.</summary>
public class SoftmaxTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void MatchesFloat64Softmax(string device)
    {
        using var gpu = TestDevices.Open(device);
        var kernel = gpu.GetFunction(PtxModules.Load(gpu, "tests/softmax"), "softmax_rows");
        const int rows = 4, cols = 1000, block = 256;   // 4000 elements; columns not a multiple of the block
        float[] x = TestInputs.NonZero(16, rows * cols, scale: 8f);
        using DeviceArray<float> dx = new(gpu, x), dy = new(gpu, rows * cols);

        gpu.Launch(kernel, rows, block, 0, null, new KernelArgs().Ptr(dx.Ptr).Ptr(dy.Ptr).I32(cols));
        gpu.Synchronize();

        // __expf(t) is ex2.approx(t · log2 e). With t = x - max in [-16, 0]: rounding t · log2 e costs
        // up to 23 u in the exponent (~1e-6 relative in the result), ex2.approx ~2^-22 relative; the
        // sum, reciprocal and product add a few u more. Allowed: 1e-5 relative per element.
        float[] y = dy.Read();
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * cols, cols).ToArray();
            double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
            for (int c = 0; c < cols; c++)
            {
                double expected = Math.Exp(row[c] - max) / sum;
                AssertClose.Scalar(expected, y[r * cols + c], $"y[{r}][{c}]", relative: 1e-5);
            }
        }
    }
}
