using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/bias.cu and column_sum.cu against the CPU backend.</summary>
public class BiasKernelTests
{
    // float4 columns when cols % 4 == 0 and the pointers are aligned, else one column per thread; shift: x, the
    // bias and y start one float into their allocations (the scalar kernel).
    [Theory]
    [InlineData("software", 37, 300, 0)]     // float4: 75 vectors in one block
    [InlineData("software", 37, 1100, 0)]    // float4: 275 vectors span two 256-thread blocks, the second partly
    [InlineData("software", 37, 300, 1)]     // misaligned: scalar, two blocks
    [InlineData("software", 37, 33, 0)]      // scalar: 33 % 4 ≠ 0
    [InlineData("driver", 37, 300, 0)]
    [InlineData("driver", 37, 300, 1)]
    [InlineData("driver", 4096, 3072, 0)]    // BERT-base FFN: rows walked by a grid smaller than rows
    public void BiasAddIsExactlyTheCpus(string device, int rows, int cols, int shift)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = TestInputs.NonZero(10, rows * cols, 2f), bias = TestInputs.NonZero(11, cols);
        float[] Shifted(float[] values) => new float[shift].Concat(values).ToArray();
        using DeviceArray<float> dx = new(gpu, Shifted(x)), db = new(gpu, Shifted(bias)), dy = new(gpu, shift + rows * cols);
        long skip = shift * sizeof(float);

        BiasKernels.Add(gpu, dx.Ptr.Offset(skip), db.Ptr.Offset(skip), dy.Ptr.Offset(skip), rows, cols);

        var expected = Cpu.Empty(rows, cols);
        Cpu.Backend.AddBias(Cpu.Tensor(x, rows, cols), Cpu.Tensor(bias, cols), expected);
        KernelAssert.BitEqual(expected.ToArray<float>(), dy.Read()[shift..], "y");
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", 50, 45)]     // one chunk: the first pass writes the sums directly
    [InlineData("software", 200, 45)]    // four chunks (the last partial) and the second pass
    [InlineData("software", 1100, 45)]   // 18 chunks: the second pass's 8 lanes add 2 or 3 each
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
            AssertClose.Scalar(reference[c], actual[c], $"sums[{c}]", absolute: 2 * rows * TestInputs.U * magnitude);
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }
}
