using CudaBert.Engine;
using CudaBert.Engine.Backends;
using CudaBert.Engine.Cpu;
using CudaBert.Engine.Cuda;
using static CudaBert.Tests.CudaBackendTests.CpuVsCuda;

namespace CudaBert.Tests.CudaBackendTests;

/// <summary>GEMM, attention softmax, permutes and layer norm of <see cref="CudaBackend"/> against the CPU backend.</summary>
[Collection(CudaBackendCollection.Name)]
public class MatrixPrimitiveTests(CudaTestDevice device)
{
    static readonly CpuBackend Cpu = CpuBackend.Instance;

    public static TheoryData<bool, bool> Transposes => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    [Theory, MemberData(nameof(Transposes))]
    public void BatchedGemmMatchesTheCpu(bool transA, bool transB)
    {
        using var scope = Tensor.Scope();
        const int batch = 2, m = 5, n = 7, k = 9;   // far from every GEMM tile
        const double alpha = 0.75, beta = -0.5;
        float[] a = NonZero(10, batch * m * k), b = NonZero(11, batch * k * n), c = NonZero(12, batch * m * n);
        Tensor ca = CpuVsCuda.Cpu(a, batch, transA ? k : m, transA ? m : k), cb = CpuVsCuda.Cpu(b, batch, transB ? n : k, transB ? k : n),
            cc = CpuVsCuda.Cpu(c, batch, m, n);
        Tensor ga = ca.To(Device.Cuda), gb = cb.To(Device.Cuda), gc = cc.To(Device.Cuda);

        Cpu.Gemm(transA, transB, batch, m, n, k, alpha, ca, cb, beta, cc);
        device.Backend.Gemm(transA, transB, batch, m, n, k, alpha, ga, gb, beta, gc);

        // Each side is within (k + 2)·u·(|α|·|A||B| + |β||C|) of the exact result; with |a|, |b|, |c| ≤ 1
        // that is at most (k + 2)·u·(0.75·k + 0.5) per element, so they are within twice that.
        AssertClose.Elementwise(cc, gc, "C", absolute: 2 * (k + 2) * U * (alpha * k + 0.5));
        device.AssertNoSanitizerFindings();
    }

    [Theory, MemberData(nameof(Transposes))]
    public void BFloat16GemmIsWithinFloat32AccumulationOfTheCpu(bool transA, bool transB)
    {
        using var scope = Tensor.Scope();
        const int batch = 3, m = 19, n = 11, k = 37;   // far from the 64×64 tile and the k-steps of 16
        const double alpha = 0.75, beta = -0.5;
        float[] a = NonZero(50, batch * m * k), b = NonZero(51, batch * k * n), c = NonZero(52, batch * m * n);
        Tensor ca = CpuVsCuda.Cpu(a, batch, transA ? k : m, transA ? m : k).To(DType.BFloat16),
            cb = CpuVsCuda.Cpu(b, batch, transB ? n : k, transB ? k : n).To(DType.BFloat16), cc = CpuVsCuda.Cpu(c, batch, m, n);
        Tensor ga = ca.To(Device.Cuda), gb = cb.To(Device.Cuda), gc = cc.To(Device.Cuda);
        Tensor cc16 = cc.To(DType.BFloat16), gc16 = cc16.To(Device.Cuda);

        Cpu.Gemm(transA, transB, batch, m, n, k, alpha, ca, cb, beta, cc);
        device.Backend.Gemm(transA, transB, batch, m, n, k, alpha, ga, gb, beta, gc);
        Cpu.Gemm(transA, transB, batch, m, n, k, alpha, ca, cb, beta, cc16);
        device.Backend.Gemm(transA, transB, batch, m, n, k, alpha, ga, gb, beta, gc16);

        // The bfloat16 inputs are exact in float32, so both sides are float32 sums of the same exact
        // products: each within (k + 2)·u·(|α|·Σ|a||b| + |β||c|) ≤ (k + 2)·u·(0.75·k + 0.5) of the exact
        // value (|a|, |b|, |c| ≤ 1), hence within twice that of each other.
        double bound = 2 * (k + 2) * U * (alpha * k + 0.5);
        AssertClose.Elementwise(cc, gc, "C", absolute: bound);
        // Rounded to bfloat16 (C too, before β), each side moves by at most half a bfloat16 unit, 2⁻⁹·|C| ≤ 2⁻⁹·(0.75·k + 0.5).
        AssertClose.Elementwise(cc16.To(DType.Float32), gc16.To(DType.Float32), "C (bfloat16)", absolute: bound + 2 * Math.Pow(2, -9) * (alpha * k + 0.5));
        device.AssertNoSanitizerFindings();
    }

    [Theory, MemberData(nameof(Transposes))]
    public void Tf32GemmIsWithinTf32RoundingOfTheCpu(bool transA, bool transB)
    {
        using var scope = Tensor.Scope();
        const int batch = 2, m = 12, n = 8, k = 20;   // rows of 4-float multiples: the tensor-core kernel qualifies
        const double alpha = 0.75, beta = -0.5;
        float[] a = NonZero(40, batch * m * k), b = NonZero(41, batch * k * n), c = NonZero(42, batch * m * n);
        Tensor ca = CpuVsCuda.Cpu(a, batch, transA ? k : m, transA ? m : k), cb = CpuVsCuda.Cpu(b, batch, transB ? n : k, transB ? k : n),
            cc = CpuVsCuda.Cpu(c, batch, m, n);
        Tensor ga = ca.To(Device.Cuda), gb = cb.To(Device.Cuda), gc = cc.To(Device.Cuda), exact = cc.To(Device.Cuda);

        Cpu.Gemm(transA, transB, batch, m, n, k, alpha, ca, cb, beta, cc);
        using (Tf32Mode.Allow())
            device.Backend.Gemm(transA, transB, batch, m, n, k, alpha, ga, gb, beta, gc);
        device.Backend.Gemm(transA, transB, batch, m, n, k, alpha, ga, gb, beta, exact);

        // TF32 keeps 10 of fp32's 23 mantissa bits: each input is within 2⁻¹¹ relative, a product within
        // 2⁻¹⁰; with |a|, |b|, |c| ≤ 1 the sum of k products is off by at most α·k·2⁻¹⁰ plus fp32 rounding.
        double bound = alpha * k * Math.Pow(2, -10) + 2 * (k + 2) * U * (alpha * k + 0.5);
        AssertClose.Elementwise(cc, gc, "C (tf32)", absolute: bound);
        // And it really is the tensor-core kernel: the exact SIMT result differs from it.
        Assert.NotEqual(exact.ToArray<float>(), gc.ToArray<float>());
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void MaskedSoftmaxAndBackwardMatchTheCpu()
    {
        using var scope = Tensor.Scope();
        const int b = 2, heads = 3, sq = 5, sk = 5;
        const double scale = 0.35;
        float[] scores = NonZero(13, b * heads * sq * sk, 4f), dp = NonZero(14, b * heads * sq * sk);
        // Additive mask: the last two keys of the second sequence are padding.
        float[] mask = [0, 0, 0, 0, 0, 0, 0, 0, -10000, -10000];
        Tensor cs = CpuVsCuda.Cpu(scores, b, heads, sq, sk), cmask = CpuVsCuda.Cpu(mask, b, sk), cdp = CpuVsCuda.Cpu(dp, b, heads, sq, sk);
        Tensor gs = cs.To(Device.Cuda), gmask = cmask.To(Device.Cuda), gdp = cdp.To(Device.Cuda);
        Tensor cprobs = Tensor.Empty(cs.Shape), gprobs = Tensor.Empty(cs.Shape, device: Device.Cuda);

        Cpu.ScaledMaskedSoftmax(cs, cmask, scale, cprobs);
        device.Backend.ScaledMaskedSoftmax(gs, gmask, scale, gprobs);
        AssertClose.Elementwise(cprobs, gprobs, "probs", absolute: 1e-9, relative: 1e-6);
        Assert.All(gprobs.ToArray<float>().Where((_, i) => i >= b * heads * sq * sk / 2 && i % sk >= 3), p => Assert.True(p < 1e-30f, $"masked key got {p}"));

        Cpu.ScaledMaskedSoftmax(cs, null, scale, cprobs);
        device.Backend.ScaledMaskedSoftmax(gs, null, scale, gprobs);
        AssertClose.Elementwise(cprobs, gprobs, "probs without mask", absolute: 1e-9, relative: 1e-6);

        Tensor cds = Tensor.Empty(cs.Shape), gds = Tensor.Empty(cs.Shape, device: Device.Cuda);
        Cpu.ScaledMaskedSoftmaxBackward(cprobs, cdp, scale, cds);
        device.Backend.ScaledMaskedSoftmaxBackward(cprobs.To(Device.Cuda), gdp, scale, gds);
        // dscores = scale·p·(dp − Σ dp·p): the row sum cancels, so the bound is absolute (sk terms ≤ 1).
        AssertClose.Elementwise(cds, gds, "dscores", absolute: scale * sk * 4 * U, relative: 4 * U);
        device.AssertNoSanitizerFindings();
    }

    public static TheoryData<int[], int[]> Permutations => new()
    {
        { [2, 5, 3, 4], [0, 2, 1, 3] },   // split heads [B, S, H, D] → [B, H, S, D]
        { [7, 9], [1, 0] },               // matrix transpose
        { [3, 5, 6], [0, 2, 1] },         // batched transpose
        { [2, 3, 4], [2, 0, 1] },         // rotation: [2·3] and [4] swap
        { [2, 1, 3, 4], [1, 0, 3, 2] },   // a unit axis moves freely
        { [3, 4], [0, 1] },               // identity: a copy
        { [2, 3, 4], [2, 1, 0] },         // not a block swap: the general kernel
        { [2, 3, 1, 4, 5], [4, 0, 3, 2, 1] },
    };

    [Theory, MemberData(nameof(Permutations))]
    public void PermutesAreBitIdentical(int[] shape, int[] axes)
    {
        using var scope = Tensor.Scope();
        var cx = CpuVsCuda.Cpu(NonZero(15, (int)new Shape(shape).NumElements), shape);
        var outShape = axes.Select(a => shape[a]).ToArray();
        Tensor cy = Tensor.Empty(outShape), gy = Tensor.Empty(outShape, device: Device.Cuda);
        Cpu.Permute(cx, axes, cy);
        device.Backend.Permute(cx.To(Device.Cuda), axes, gy);
        BitEqual(cy, gy, $"permute [{string.Join(", ", axes)}]");
        device.AssertNoSanitizerFindings();
    }

    [Fact]
    public void PermutesOfMoreThanSixAxesSayTheyHaveNoKernel()
    {
        using var scope = Tensor.Scope();
        int[] shape = [2, 1, 2, 1, 2, 1, 2], axes = [6, 5, 4, 3, 2, 1, 0];
        var x = Tensor.Zeros(shape, device: Device.Cuda);
        var error = Assert.Throws<NotSupportedException>(() => device.Backend.Permute(x, axes, Tensor.Empty(shape, device: Device.Cuda)));
        Assert.Contains("Permute [6, 5, 4, 3, 2, 1, 0]", error.Message);
    }

    [Fact]
    public void LayerNormAndBackwardMatchTheCpu()
    {
        using var scope = Tensor.Scope();
        const int rows = 6, cols = 37;
        float[] x = NonZero(16, rows * cols, 3f), gamma = NonZero(17, cols), beta = NonZero(18, cols), dy = NonZero(19, rows * cols);
        Tensor cx = CpuVsCuda.Cpu(x, rows, cols), cg = CpuVsCuda.Cpu(gamma, cols), cb = CpuVsCuda.Cpu(beta, cols), cdy = CpuVsCuda.Cpu(dy, rows, cols);
        Tensor gx = cx.To(Device.Cuda), gg = cg.To(Device.Cuda), gb = cb.To(Device.Cuda), gdy = cdy.To(Device.Cuda);
        Tensor cy = Tensor.Empty([rows, cols]), cmean = Tensor.Empty([rows]), crstd = Tensor.Empty([rows]);
        Tensor gy = Tensor.Empty([rows, cols], device: Device.Cuda), gmean = Tensor.Empty([rows], device: Device.Cuda), grstd = Tensor.Empty([rows], device: Device.Cuda);

        Cpu.LayerNorm(cx, cg, cb, 1e-12, cy, cmean, crstd);
        device.Backend.LayerNorm(gx, gg, gb, 1e-12, gy, gmean, grstd);
        AssertClose.Elementwise(cmean, gmean, "mean", absolute: 1e-7, relative: 1e-6);
        AssertClose.Elementwise(crstd, grstd, "rstd", relative: 2e-6);
        AssertClose.Elementwise(cy, gy, "y", absolute: 1e-5, relative: 1e-6);

        Tensor cdx = Tensor.Empty([rows, cols]), cdg = Tensor.Empty([cols]), cdb = Tensor.Empty([cols]);
        Tensor gdx = Tensor.Empty([rows, cols], device: Device.Cuda), gdg = Tensor.Empty([cols], device: Device.Cuda), gdb = Tensor.Empty([cols], device: Device.Cuda);
        Cpu.LayerNormBackward(cdy, cx, cg, cmean, crstd, cdx, cdg, cdb);
        device.Backend.LayerNormBackward(gdy, gx, gg, cmean.To(Device.Cuda), crstd.To(Device.Cuda), gdx, gdg, gdb);
        // dx cancels two row means (≤ cols·u each, |terms| ≤ ~2, rstd ≈ 1/0.9·...): absolute 4·cols·u·max rstd.
        double maxRstd = crstd.ToArray<float>().Max();
        AssertClose.Elementwise(cdx, gdx, "dx", absolute: 4 * cols * U * maxRstd);
        // dγ, dβ: sums of `rows` terms, |dy·x̂| ≤ ~2.5: order differences within 2·rows·u·Σ|term|.
        AssertClose.Elementwise(cdg, gdg, "dgamma", absolute: 2 * rows * U * rows * 2.5);
        AssertClose.Elementwise(cdb, gdb, "dbeta", absolute: 2 * rows * U * rows);
        device.AssertNoSanitizerFindings();
    }
}
