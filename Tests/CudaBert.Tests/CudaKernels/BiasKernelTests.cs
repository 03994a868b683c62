using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.Kernels;

namespace CudaBert.Tests.CudaKernels;

/// <summary>Kernels/bert/bias.cu and column_sum.cu against the CPU backend.</summary>
public class BiasKernelTests
{
    [Theory, MemberData(nameof(TestDevices.Kinds), MemberType = typeof(TestDevices))]
    public void BiasAddIsExactlyTheCpus(string device)
    {
        const int rows = 37, cols = 300;   // cols spans two 256-thread blocks, the second partly
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(10, rows * cols, 2f), bias = TestInputs.NonZero(11, cols);
        using DeviceArray<float> dx = new(gpu, x), db = new(gpu, bias), dy = new(gpu, rows * cols);

        BiasKernels.Add(gpu, dx.Ptr, db.Ptr, dy.Ptr, rows, cols);

        var expected = Cpu.Empty(rows, cols);
        Cpu.Backend.AddBias(Cpu.Tensor(x, rows, cols), Cpu.Tensor(bias, cols), expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), dy.Read(), "y");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", 50, 45)]     // one chunk: the first pass writes the sums directly
    [InlineData("software", 200, 45)]    // four chunks (the last partial) and the second pass
    [InlineData("driver", 200, 45)]
    [InlineData("driver", 4096, 768)]    // BERT-base: tokens × hidden
    public void ColumnSumMatchesTheCpu(string device, int rows, int cols)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(12, rows * cols);
        using DeviceArray<float> dx = new(gpu, x), sums = new(gpu, cols);
        long workspaceBytes = BiasKernels.ColumnSumWorkspaceBytes(rows, cols);
        using DeviceArray<float> workspace = new(gpu, (int)Math.Max(1, workspaceBytes / sizeof(float)));

        BiasKernels.ColumnSum(gpu, dx.Ptr, sums.Ptr, rows, cols, workspace.Ptr);

        var expected = Cpu.Empty(cols);
        Cpu.Backend.SumRows(Cpu.Tensor(x, rows, cols), expected);
        // Both sum `rows` floats in different orders: each within rows·u·Σ|x| of the exact sum.
        float[] actual = sums.Read(), reference = expected.ToArray<float>();
        for (int c = 0; c < cols; c++)
        {
            double magnitude = 0;
            for (int r = 0; r < rows; r++) magnitude += Math.Abs(x[r * cols + c]);
            TestInputs.Near(reference[c], actual[c], 2 * rows * TestInputs.U * magnitude, $"sums[{c}]");
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
