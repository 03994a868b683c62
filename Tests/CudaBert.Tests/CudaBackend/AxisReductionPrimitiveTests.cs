using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// Sum and mean over one axis on the CUDA backend (Kernels/bert/axis_sum.cu) against the CPU backend:
/// every axis of [3, 37, 5] (the last one takes the warp-per-row kernel with rows shorter than a
/// warp, the others the thread-per-output kernel), rows of 70 (longer than a warp, not a multiple of
/// 32), and the ops with their backward pass on Device.Cuda tensors.
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class AxisReductionPrimitiveTests(CudaTestDevice device)
{
    static readonly CpuBackend Cpu = CpuBackend.Instance;

    [Theory]
    [InlineData(new[] { 3, 37, 5 }, 0)]
    [InlineData(new[] { 3, 37, 5 }, 1)]
    [InlineData(new[] { 3, 37, 5 }, 2)]
    [InlineData(new[] { 9, 70 }, 1)]
    [InlineData(new[] { 9, 70 }, 0)]
    public void SumAndMeanMatchTheCpu(int[] dims, int axis)
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(51, dims.Aggregate(1, (a, d) => a * d));
        Tensor cx = CpuVsCuda.Cpu(x, dims), gx = Gpu(x, dims);
        int[] outputDims = dims.Where((_, i) => i != axis).ToArray();
        int n = dims[axis];

        foreach (double scale in new[] { 1.0, 1.0 / n })
        {
            Tensor cy = Tensor.Empty(outputDims), gy = Tensor.Empty(outputDims, device: Device.Cuda);
            Cpu.SumAxis(cx, axis, scale, cy);
            device.Backend.SumAxis(gx, axis, scale, gy);
            // Both add n terms of magnitude ≤ 1 in double (orders differ: ≤ n·2⁻⁵³·n apart before the
            // scale), then round once to float (u relative each).
            AssertClose.Elementwise(cy, gy, $"sum over axis {axis} × {scale:R}", absolute: scale * n * n * Math.Pow(2, -53), relative: 2 * U);
        }
        device.AssertNoSanitizerFindings();
    }

    [Theory]
    [InlineData(new[] { 3, 37, 5 }, 1)]
    [InlineData(new[] { 9, 70 }, 1)]
    public void BackwardIsBitIdentical(int[] dims, int axis)
    {
        using var scope = Tensor.Scope();
        int[] outputDims = dims.Where((_, i) => i != axis).ToArray();
        float[] dy = NonZero(52, outputDims.Aggregate(1, (a, d) => a * d));
        Tensor cdx = Tensor.Empty(dims), gdx = Tensor.Empty(dims, device: Device.Cuda);
        double scale = 1.0 / dims[axis];
        // Both compute (float)(scale · (double)dy): one rounding of the same double product.
        Cpu.SumAxisBackward(CpuVsCuda.Cpu(dy, outputDims), axis, scale, cdx);
        device.Backend.SumAxisBackward(Gpu(dy, outputDims), axis, scale, gdx);
        BitEqual(cdx, gdx, $"sum backward over axis {axis}");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void OpsWithKeepDimMatchTheCpuForwardAndBackward()
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(53, 4 * 6 * 3), upstream = NonZero(54, 4 * 3);
        Tensor cx = CpuVsCuda.Cpu(x, 4, 6, 3), gx = Gpu(x, 4, 6, 3);
        cx.RequiresGrad = gx.RequiresGrad = true;
        Tensor cy = Ops.Mean(cx, -2, keepDim: true), gy = Ops.Mean(gx, -2, keepDim: true);
        Assert.Equal(new Shape([4, 1, 3]), gy.Shape);
        AssertClose.Elementwise(cy, gy, "mean over axis -2, keepdim", absolute: 6 * 6 * Math.Pow(2, -53), relative: 2 * U);

        Ops.Sum(Ops.Mul(cy, CpuVsCuda.Cpu(upstream, 4, 1, 3))).Backward();
        Ops.Sum(Ops.Mul(gy, Gpu(upstream, 4, 1, 3))).Backward();
        BitEqual(cx.Grad!, gx.Grad!, "d mean / dx");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void AnEmptyAxisSumsToZeroAndAveragesToNaN()
    {
        using var scope = Tensor.Scope();
        var gx = Tensor.Zeros([2, 0, 3], device: Device.Cuda);
        Assert.Equal(new float[6], Ops.Sum(gx, 1).ToArray<float>());
        Assert.All(Ops.Mean(gx, 1).ToArray<float>(), v => Assert.True(float.IsNaN(v)));
    }
}
