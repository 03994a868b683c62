using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>The fused primitives of <see cref="CudaBackend"/> (GEMM epilogues, residual layer norm) against the CPU backend.</summary>
[Collection(CudaBackendCollection.Name)]
public class FusedPrimitiveTests(CudaTestDevice device)
{
    static readonly CpuBackend Cpu = CpuBackend.Instance;

    [Fact]
    public void LinearBiasGeluMatchesTheCpuWithAndWithoutThePreActivation()
    {
        using var scope = Tensor.Scope();
        const int rows = 5, inFeatures = 9, outFeatures = 7;   // far from every GEMM tile
        float[] x = NonZero(50, rows * inFeatures), w = NonZero(51, outFeatures * inFeatures), b = NonZero(52, outFeatures);
        Tensor cx = CpuVsCuda.Cpu(x, rows, inFeatures), cw = CpuVsCuda.Cpu(w, outFeatures, inFeatures), cb = CpuVsCuda.Cpu(b, outFeatures);
        Tensor cz = Tensor.Empty([rows, outFeatures]), cy = Tensor.Empty([rows, outFeatures]);
        Tensor gz = Tensor.Empty([rows, outFeatures], device: Device.Cuda), gy = Tensor.Empty([rows, outFeatures], device: Device.Cuda),
            epilogueY = Tensor.Empty([rows, outFeatures], device: Device.Cuda);

        Cpu.LinearBiasGelu(cx, cw, cb, cz, cy);
        device.Backend.LinearBiasGelu(cx.To(Device.Cuda), cw.To(Device.Cuda), cb.To(Device.Cuda), gz, gy);
        device.Backend.LinearBiasGelu(cx.To(Device.Cuda), cw.To(Device.Cuda), cb.To(Device.Cuda), null, epilogueY);

        // z: a sum of k products and the bias, |terms| ≤ 1: each side within (k + 2)·u·(k + 1) of the exact value.
        double zBound = 2 * (inFeatures + 2) * U * (inFeatures + 1);
        AssertClose.Elementwise(cz, gz, "z", absolute: zBound);
        // y = GELU(z) with |GELU′| < 1.13: z's difference carried through, plus erff's few ulps.
        AssertClose.Elementwise(cy, gy, "y (GEMM, then the GELU kernel)", absolute: 1.13 * zBound + 1e-7, relative: 8 * U);
        AssertClose.Elementwise(cy, epilogueY, "y (bias+GELU epilogue)", absolute: 1.13 * zBound + 1e-7, relative: 8 * U);
        // With z written, y is the GELU kernel's output on z, bit for bit: what LinearGeluLinear's backward recomputes.
        var recomputed = Tensor.Empty([rows, outFeatures], device: Device.Cuda);
        device.Backend.Gelu(gz, recomputed);
        Assert.Equal(gy.ToArray<float>(), recomputed.ToArray<float>());
        device.AssertNoSanitizerFindings();
    }

    [Theory]
    [InlineData("fp32")]
    [InlineData("tf32")]
    [InlineData("bf16")]
    public void LinearInputGradientGeluMatchesTheCpusGemmThenGeluBackward(string precision)
    {
        using var scope = Tensor.Scope();
        const int rows = 9, outFeatures = 12, inFeatures = 20;   // rows of 4-float multiples: the tensor-core kernels qualify
        float[] dy = NonZero(57, rows * outFeatures), w = NonZero(58, outFeatures * inFeatures), z = NonZero(59, rows * inFeatures, 3f);
        Tensor cdy = CpuVsCuda.Cpu(dy, rows, outFeatures), cw = CpuVsCuda.Cpu(w, outFeatures, inFeatures), cz = CpuVsCuda.Cpu(z, rows, inFeatures);
        if (precision == "bf16") (cdy, cw) = (cdy.To(DType.BFloat16), cw.To(DType.BFloat16));
        Tensor cdz = Tensor.Empty([rows, inFeatures]), gdz = Tensor.Empty([rows, inFeatures], device: Device.Cuda);

        Cpu.LinearInputGradientGelu(cdy, cw, cz, cdz);
        using (precision == "tf32" ? Tf32Mode.Allow() : null)
            device.Backend.LinearInputGradientGelu(cdy.To(Device.Cuda), cw.To(Device.Cuda), cz.To(Device.Cuda), gdz);

        // The products dy·W, |terms| ≤ 1: each side within (k + 2)·u·k of the exact value (bfloat16 operands are
        // the same values on both sides, their products exact), TF32 another k·2⁻¹⁰ (MatrixPrimitiveTests). Times
        // |GELU′| ≤ 1.13, plus the two GELU′ evaluations' difference (≤ 8 u each, GemmGeluDerivativeEpilogueTests)
        // times |dy·W| ≤ k, plus the last rounding.
        const int k = outFeatures;
        double product = 2 * (k + 2) * U * k + (precision == "tf32" ? k * Math.Pow(2, -10) : 0);
        AssertClose.Elementwise(cdz, gdz, $"dz ({precision})", absolute: 1.13 * product + 16 * U * k, relative: 2 * U);
        device.AssertNoSanitizerFindings();
    }

    [Theory]
    [InlineData(0.0, 37)]    // no dropout; rows read one float at a time
    [InlineData(0.25, 37)]
    [InlineData(0.25, 64)]   // float4 rows
    public void DropoutResidualLayerNormMatchesTheCpu(double p, int cols)
    {
        using var scope = Tensor.Scope();
        const int rows = 6;
        const ulong seed = 0x5eed_0042UL, offset = 10;
        float[] x = NonZero(53, rows * cols, 3f), residual = NonZero(54, rows * cols, 3f), gamma = NonZero(55, cols), beta = NonZero(56, cols);
        Tensor cx = CpuVsCuda.Cpu(x, rows, cols), cr = CpuVsCuda.Cpu(residual, rows, cols), cg = CpuVsCuda.Cpu(gamma, cols), cb = CpuVsCuda.Cpu(beta, cols);
        Tensor csum = Tensor.Empty([rows, cols]), cy = Tensor.Empty([rows, cols]), cmean = Tensor.Empty([rows]), crstd = Tensor.Empty([rows]);
        Tensor gsum = Tensor.Empty([rows, cols], device: Device.Cuda), gy = Tensor.Empty([rows, cols], device: Device.Cuda),
            gmean = Tensor.Empty([rows], device: Device.Cuda), grstd = Tensor.Empty([rows], device: Device.Cuda);

        Cpu.DropoutResidualLayerNorm(cx, p, seed, offset, cr, cg, cb, 1e-12, csum, cy, cmean, crstd);
        device.Backend.DropoutResidualLayerNorm(cx.To(Device.Cuda), p, seed, offset, cr.To(Device.Cuda), cg.To(Device.Cuda), cb.To(Device.Cuda), 1e-12,
            gsum, gy, gmean, grstd);

        // The same mask bits, one multiplication and one addition each: the same sum.
        BitEqual(csum, gsum, "dropout(x) + residual");
        AssertClose.Elementwise(cmean, gmean, "mean", absolute: 1e-6, relative: 1e-6);
        AssertClose.Elementwise(crstd, grstd, "rstd", relative: 2e-6);
        AssertClose.Elementwise(cy, gy, "y", absolute: 1e-5, relative: 1e-6);
        device.AssertNoSanitizerFindings();
    }
}
