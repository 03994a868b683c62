using CudaBert.Engine;
using CudaBert.Kernels.Launch;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.BertKernels;

/// <summary>Kernels/bert/layernorm.cu against the CPU backend.</summary>
public class LayerNormKernelTests
{
    const float Eps = 1e-12f;   // BERT's

    // Inputs with a common offset (mean far from zero) so that a one-pass variance would lose digits.
    static float[] Input(int seed, int count) => TestInputs.NonZero(seed, count, 2f).Select(v => v + 3f).ToArray();

    // cols ≤ 1024: the kernels that hold a row in registers (float4 when cols % 4 == 0 and the pointers are
    // aligned; shift: every array starts one float into its allocation, so the scalar kernel runs);
    // 1100: the ones that re-read it.
    [Theory]
    [InlineData("software", 300, 0)]     // float4, a partial last slot
    [InlineData("software", 300, 1)]     // misaligned: scalar
    [InlineData("software", 33, 0)]      // scalar, one column past a warp
    [InlineData("software", 384, 0)]     // float4, BERT-small width
    [InlineData("software", 1024, 0)]    // float4, the longest register row
    [InlineData("software", 1100, 0)]
    [InlineData("driver", 300, 0)]
    [InlineData("driver", 300, 1)]
    [InlineData("driver", 1100, 0)]
    public void ForwardMatchesTheCpu(string device, int cols, int shift)
    {
        const int rows = 19;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = Input(30, rows * cols), gamma = TestInputs.NonZero(31, cols), beta = TestInputs.NonZero(32, cols);
        float[] Shifted(float[] values) => new float[shift].Concat(values).ToArray();
        using DeviceArray<float> dx = new(gpu, Shifted(x)), dg = new(gpu, Shifted(gamma)), db = new(gpu, Shifted(beta)),
            dy = new(gpu, shift + rows * cols), dmean = new(gpu, rows), drstd = new(gpu, rows);
        long skip = shift * sizeof(float);

        LayerNormKernels.Forward(gpu, dx.Ptr.Offset(skip), dg.Ptr.Offset(skip), db.Ptr.Offset(skip), dy.Ptr.Offset(skip), dmean.Ptr, drstd.Ptr,
            rows, cols, Eps);

        var (y, mean, rstd) = CpuLayerNorm(x, gamma, beta, rows, cols);
        // rsqrtf is within 2 ulp; sums of 300 terms in another order: ~1e-6 relative on μ and rstd, which
        // x̂ = (x − μ)·rstd (|x̂| ≤ ~2) carries into y.
        AssertClose.Elementwise(mean, dmean.Read(), "mean", relative: 1e-6);
        AssertClose.Elementwise(rstd, drstd.Read(), "rstd", relative: 2e-6);
        AssertClose.Elementwise(y, dy.Read()[shift..], "y", absolute: 1e-5, relative: 1e-6);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    [Theory]
    [InlineData("software", 70)]       // scalar
    [InlineData("software", 384)]      // float4
    [InlineData("software", 1100)]
    [InlineData("driver", 70)]
    [InlineData("driver", 1100)]
    public void ResidualForwardNormalizesTheSum(string device, int cols)
    {
        const int rows = 11;
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = Input(33, rows * cols), residual = TestInputs.NonZero(34, rows * cols),
            gamma = TestInputs.NonZero(35, cols), beta = TestInputs.NonZero(36, cols);
        using DeviceArray<float> dx = new(gpu, x), dr = new(gpu, residual), dg = new(gpu, gamma), db = new(gpu, beta),
            dsum = new(gpu, rows * cols), dy = new(gpu, rows * cols), dmean = new(gpu, rows), drstd = new(gpu, rows);

        LayerNormKernels.ResidualForward(gpu, dx.Ptr, dr.Ptr, dg.Ptr, db.Ptr, dsum.Ptr, dy.Ptr, dmean.Ptr, drstd.Ptr, rows, cols, Eps);

        float[] sum = x.Zip(residual, (a, b) => a + b).ToArray();
        KernelAssert.BitEqual(sum, dsum.Read(), "sum");
        var (y, mean, rstd) = CpuLayerNorm(sum, gamma, beta, rows, cols);
        AssertClose.Elementwise(mean, dmean.Read(), "mean", relative: 1e-6);
        AssertClose.Elementwise(rstd, drstd.Read(), "rstd", relative: 2e-6);
        AssertClose.Elementwise(y, dy.Read(), "y", absolute: 1e-5, relative: 1e-6);
        KernelAssert.NoSanitizerFindings(gpu);
    }

    // The variants, each on the software GPU: rows ≤ 1024 columns one warp per row, with float4 accesses when
    // cols % 4 == 0 and every pointer is 16-byte aligned (≤ 768 columns: the smaller register variant);
    // scalar accesses for other widths or a misaligned view (shift: the inputs and dx start one float
    // into their allocations); > 1024 columns the block-per-row kernel.
    [Theory]
    [InlineData("software", 9, 70, 0)]       // scalar: 70 % 4 ≠ 0; one chunk, a warp with no row
    [InlineData("software", 13, 33, 0)]      // scalar, one column past a warp
    [InlineData("software", 300, 20, 0)]     // float4 (≤ 768); 38 chunks of 8 rows, the last one of 4
    [InlineData("software", 21, 384, 0)]     // float4 (≤ 768), BERT-small width, partial last chunk
    [InlineData("software", 21, 384, 1)]     // the same rows misaligned: scalar
    [InlineData("software", 10, 1024, 0)]    // float4 up to 1024 columns
    [InlineData("software", 5, 1100, 0)]     // longer rows: a block per row
    [InlineData("driver", 300, 20, 0)]
    [InlineData("driver", 21, 384, 1)]
    [InlineData("driver", 10, 1024, 0)]
    [InlineData("driver", 5, 1100, 0)]
    [InlineData("driver", 4096, 768, 0)]     // BERT-base
    public void BackwardMatchesTheCpu(string device, int rows, int cols, int shift)
    {
        using var gpu = TestDevices.Open(device);
        using var scope = Tensor.Scope();
        float[] x = Input(37, rows * cols), gamma = TestInputs.NonZero(38, cols), beta = TestInputs.NonZero(39, cols),
            dy = TestInputs.NonZero(40, rows * cols);
        var (_, mean, rstd) = CpuLayerNorm(x, gamma, beta, rows, cols);
        float[] Shifted(float[] values) => new float[shift].Concat(values).ToArray();
        using DeviceArray<float> ddy = new(gpu, Shifted(dy)), dx = new(gpu, Shifted(x)), dg = new(gpu, Shifted(gamma)),
            dmean = new(gpu, mean), drstd = new(gpu, rstd), ddx = new(gpu, shift + rows * cols), ddgamma = new(gpu, cols), ddbeta = new(gpu, cols),
            workspace = new(gpu, (int)(LayerNormKernels.BackwardWorkspaceBytes(rows, cols) / sizeof(float)));
        long skip = shift * sizeof(float);

        LayerNormKernels.Backward(gpu, ddy.Ptr.Offset(skip), dx.Ptr.Offset(skip), dg.Ptr.Offset(skip), dmean.Ptr, drstd.Ptr,
            ddx.Ptr.Offset(skip), ddgamma.Ptr, ddbeta.Ptr, rows, cols, workspace.Ptr);

        Tensor edx = Cpu.Empty(rows, cols), edgamma = Cpu.Empty(cols), edbeta = Cpu.Empty(cols);
        Cpu.Backend.LayerNormBackward(Cpu.Tensor(dy, rows, cols), Cpu.Tensor(x, rows, cols), Cpu.Tensor(gamma, cols),
            Cpu.Tensor(mean, rows), Cpu.Tensor(rstd, rows), edx, edgamma, edbeta);
        // dx = rstd·(g − mean(g) − x̂·mean(g·x̂)) cancels: the two row means' rounding (each ≤ cols·u·mean|term|,
        // |g| ≤ 1, |x̂| ≤ ~2) times rstd (~1 here) bounds the difference: 4·cols·u absolute.
        AssertClose.Elementwise(edx.ToArray<float>(), ddx.Read()[shift..], "dx", absolute: 4 * cols * TestInputs.U);
        // dγ, dβ: both sides add the same `rows` terms in different orders, each within rows·u·Σ|term| of the exact sum.
        float[] gotGamma = ddgamma.Read(), gotBeta = ddbeta.Read(), wantGamma = edgamma.ToArray<float>(), wantBeta = edbeta.ToArray<float>();
        for (int c = 0; c < cols; c++)
        {
            double gammaTerms = 0, betaTerms = 0;
            for (int r = 0; r < rows; r++)
            {
                double xhat = (x[r * cols + c] - mean[r]) * (double)rstd[r];
                gammaTerms += Math.Abs(dy[r * cols + c] * xhat);
                betaTerms += Math.Abs(dy[r * cols + c]);
            }
            AssertClose.Scalar(wantGamma[c], gotGamma[c], $"dgamma[{c}]", absolute: 2 * rows * TestInputs.U * gammaTerms);
            AssertClose.Scalar(wantBeta[c], gotBeta[c], $"dbeta[{c}]", absolute: 2 * rows * TestInputs.U * betaTerms);
        }
        KernelAssert.NoSanitizerFindings(gpu);
    }

    static (float[] Y, float[] Mean, float[] Rstd) CpuLayerNorm(float[] x, float[] gamma, float[] beta, int rows, int cols)
    {
        using var scope = Tensor.Scope();
        Tensor y = Cpu.Empty(rows, cols), mean = Cpu.Empty(rows), rstd = Cpu.Empty(rows);
        Cpu.Backend.LayerNorm(Cpu.Tensor(x, rows, cols), Cpu.Tensor(gamma, cols), Cpu.Tensor(beta, cols), Eps, y, mean, rstd);
        return (y.ToArray<float>(), mean.ToArray<float>(), rstd.ToArray<float>());
    }
}
