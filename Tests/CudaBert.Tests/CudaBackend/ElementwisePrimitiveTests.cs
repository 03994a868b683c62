using CudaBert.Engine;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>
/// Element-wise, bias, activation and reduction primitives of <see cref="CudaBackend"/> against the
/// CPU backend, called through <c>IBackend</c> on <c>Device.Cuda</c> tensors (odd sizes: 7 rows of 37).
/// </summary>
[Collection(CudaBackendCollection.Name)]
public class ElementwisePrimitiveTests(CudaTestDevice device)
{
    const int Rows = 7, Cols = 37;
    static readonly CpuBackend Cpu = CpuBackend.Instance;

    [Fact]
    public void ArithmeticAndBiasAreBitIdentical()
    {
        using var scope = Tensor.Scope();
        float[] a = NonZero(1, Rows * Cols), b = NonZero(2, Rows * Cols), bias = NonZero(3, Cols);
        Tensor ca = CpuVsCuda.Cpu(a, Rows, Cols), cb = CpuVsCuda.Cpu(b, Rows, Cols), cbias = CpuVsCuda.Cpu(bias, Cols);
        Tensor ga = Gpu(a, Rows, Cols), gb = Gpu(b, Rows, Cols), gbias = Gpu(bias, Cols);
        Tensor cy = Tensor.Empty([Rows, Cols]), gy = Tensor.Empty([Rows, Cols], device: Device.Cuda);

        Cpu.Add(ca, cb, cy); device.Backend.Add(ga, gb, gy); BitEqual(cy, gy, "add");
        Cpu.Sub(ca, cb, cy); device.Backend.Sub(ga, gb, gy); BitEqual(cy, gy, "sub");
        Cpu.Mul(ca, cb, cy); device.Backend.Mul(ga, gb, gy); BitEqual(cy, gy, "mul");
        Cpu.Scale(ca, -0.3, cy); device.Backend.Scale(ga, -0.3, gy); BitEqual(cy, gy, "scale");
        Cpu.AddBias(ca, cbias, cy); device.Backend.AddBias(ga, gbias, gy); BitEqual(cy, gy, "add bias");
        // y += αx: the kernel fuses the multiply-add (one rounding), the CPU rounds twice; the sum may
        // cancel, so the bound is relative to its terms: 2u·(|y| + 0.7|x|) ≤ 2u·1.7.
        Cpu.AddScaledInPlace(ca, 0.7, cb); device.Backend.AddScaledInPlace(ga, 0.7, gb);
        AssertClose.Elementwise(ca, ga, "y += 0.7x", absolute: 2 * U * 1.7);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ActivationsMatchTheCpu()
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(4, Rows * Cols, 4f), dy = NonZero(5, Rows * Cols);
        Tensor cx = CpuVsCuda.Cpu(x, Rows, Cols), cdy = CpuVsCuda.Cpu(dy, Rows, Cols), gx = Gpu(x, Rows, Cols), gdy = Gpu(dy, Rows, Cols);
        Tensor cy = Tensor.Empty([Rows, Cols]), gy = Tensor.Empty([Rows, Cols], device: Device.Cuda);
        Tensor cdx = Tensor.Empty([Rows, Cols]), gdx = Tensor.Empty([Rows, Cols], device: Device.Cuda);

        // erff / tanhf are within a few ulp of the CPU's: 8u relative, 1e-7 absolute near the zeros.
        Cpu.Gelu(cx, cy); device.Backend.Gelu(gx, gy); AssertClose.Elementwise(cy, gy, "gelu", absolute: 1e-7, relative: 8 * U);
        Cpu.GeluBackward(cx, cdy, cdx); device.Backend.GeluBackward(gx, gdy, gdx); AssertClose.Elementwise(cdx, gdx, "gelu backward", absolute: 1e-7, relative: 8 * U);
        Cpu.Tanh(cx, cy); device.Backend.Tanh(gx, gy); AssertClose.Elementwise(cy, gy, "tanh", absolute: 1e-7, relative: 8 * U);
        // Both backwards get the CPU's y: 1 − y² cancels where |y| ≈ 1, and would magnify tanh's own ulps.
        Cpu.TanhBackward(cy, cdy, cdx); device.Backend.TanhBackward(cy.To(Device.Cuda), gdy, gdx);
        AssertClose.Elementwise(cdx, gdx, "tanh backward", absolute: 1e-7, relative: 8 * U);
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void ReductionsMatchTheCpuWithinTheirRoundingBounds()
    {
        using var scope = Tensor.Scope();
        const int rows = 150;   // more than one 64-row chunk: the column sum's two passes
        float[] x = NonZero(6, rows * Cols);
        Tensor cx = CpuVsCuda.Cpu(x, rows, Cols), gx = Gpu(x, rows, Cols);

        Tensor csums = Tensor.Empty([Cols]), gsums = Tensor.Empty([Cols], device: Device.Cuda);
        Cpu.SumRows(cx, csums);
        device.Backend.SumRows(gx, gsums);
        // Both add `rows` terms of magnitude ≤ 1 in different orders: each within rows·u·Σ|x| ≤ rows²·u of the exact sum.
        AssertClose.Elementwise(csums, gsums, "sum rows", absolute: 2.0 * rows * rows * U);

        Tensor ctotal = Tensor.Empty([]), gtotal = Tensor.Empty([], device: Device.Cuda);
        Cpu.Sum(cx, ctotal);
        device.Backend.Sum(gx, gtotal);
        // Both add in double (orders differ: n·2⁻⁵³·Σ|x| apart at most) and round once to float (u each).
        double n = rows * Cols, absSum = x.Sum(v => Math.Abs((double)v));
        AssertClose.Elementwise(ctotal, gtotal, "sum", absolute: n * Math.Pow(2, -53) * absSum, relative: 2 * U);

        // Σx² in double on both sides: only the summation order differs.
        double cpu = Cpu.SumOfSquares(cx), gpu = device.Backend.SumOfSquares(gx);
        AssertClose.Scalar(cpu, gpu, "Σx² (expected: the CPU's)", relative: n * Math.Pow(2, -53));
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void MemoryPrimitivesMoveExactBits()
    {
        using var scope = Tensor.Scope();
        float[] x = NonZero(7, 3 * 5);
        var cpu = CpuVsCuda.Cpu(x, 3, 5);
        var gpu = cpu.To(Device.Cuda);
        Assert.Equal(Device.Cuda, gpu.Device);
        BitEqual(cpu, gpu, "To(Cuda)");
        BitEqual(cpu, gpu.Clone().To(Device.Cpu).To(Device.Cuda), "Clone, To(Cpu), To(Cuda)");
        Assert.Equal(x, gpu.To(Device.Cpu).ToArray<float>());

        BitEqual(Tensor.Full([4, 3], 1.5), Tensor.Full([4, 3], 1.5, device: Device.Cuda), "fill 1.5");
        BitEqual(Tensor.Zeros([9]), Tensor.Zeros([9], device: Device.Cuda), "fill 0");
        Assert.Equal(new int[6], Tensor.Zeros([6], DType.Int32, Device.Cuda).ToArray<int>());
        Assert.Equal(new[] { 4, -2, 7 }, Gpu([4, -2, 7], 3).To(DType.Int32).ToArray<int>());

        // Conversions: int → float rounds to nearest (16777217 is not a float), float → int truncates toward zero.
        int[] ints = [0, 1, -5, 16_777_217, -2_000_000_001];
        float[] floats = [2.9f, -2.9f, 0.5f, 1e9f, -7f];
        Assert.Equal(CpuVsCuda.Cpu(ints, 5).To(DType.Float32).ToArray<float>(), Gpu(ints, 5).To(DType.Float32).ToArray<float>());
        Assert.Equal(CpuVsCuda.Cpu(floats, 5).To(DType.Int32).ToArray<int>(), Gpu(floats, 5).To(DType.Int32).ToArray<int>());

        var moved = CpuVsCuda.Cpu(x, 3, 5);
        moved.MoveTo(Device.Cuda);
        Assert.Equal(Device.Cuda, moved.Device);
        BitEqual(cpu, moved, "MoveTo(Cuda)");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void PrimitivesWithoutAKernelSayWhich()
    {
        using var scope = Tensor.Scope();
        var ids = Tensor.FromArray(new long[] { 1, 2, 3 }, [3], Device.Cuda);
        var cast = Assert.Throws<NotSupportedException>(() => ids.To(DType.Float32));
        Assert.Contains("Cast Int64→Float32", cast.Message);
        var fill = Assert.Throws<NotSupportedException>(() => Tensor.Full([2], 3, DType.Int32, Device.Cuda));
        Assert.Contains("Fill", fill.Message);
        var float64 = Assert.Throws<NotSupportedException>(() => Tensor.Zeros([2], DType.Float64, Device.Cuda).Backend.Gelu(
            Tensor.Zeros([2], DType.Float64, Device.Cuda), Tensor.Zeros([2], DType.Float64, Device.Cuda)));
        Assert.Contains("Gelu", float64.Message);
        var mixed = Assert.Throws<ArgumentException>(() => device.Backend.Add(CpuVsCuda.Cpu([1f], 1), Gpu([1f], 1), Gpu([1f], 1)));
        Assert.Contains("Cpu", mixed.Message);
    }
}
