using CudaBert.Course;
using CudaBert.Tests.BertKernels;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Course;

/// <summary>
/// Every step of the layer-norm progression (Kernels/course/layernorm, then the backend's forward kernel)
/// against a float64 layer norm: 7 rows of 300 columns (not a multiple of a warp), inputs centred on 2
/// so that a one-pass variance (E[x²] − μ²) would lose digits.
/// </summary>
public class LayerNormCourseTests
{
    const int Rows = 7, Cols = 300;
    const float Eps = 1e-5f;

    public static TheoryData<string, int> Cases => CourseCases.For(LayerNormCourse.Steps);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesFloat64LayerNorm(string device, int stepNumber)
    {
        var step = CourseCases.Step(LayerNormCourse.Steps, stepNumber);
        using var gpu = TestDevices.Open(device);
        float[] x = TestInputs.NonZero(30, Rows * Cols).Select(v => v + 2f).ToArray();
        float[] gamma = TestInputs.NonZero(31, Cols), beta = TestInputs.NonZero(32, Cols);
        using DeviceArray<float> dx = new(gpu, x), dg = new(gpu, gamma), db = new(gpu, beta),
            dy = new(gpu, Rows * Cols), dmean = new(gpu, Rows), drstd = new(gpu, Rows);

        step.Launch(gpu, new LayerNormProblem(Rows, Cols, Eps, dx.Ptr, dg.Ptr, db.Ptr, dy.Ptr, dmean.Ptr, drstd.Ptr));
        gpu.Synchronize();
        KernelAssert.NoSanitizerFindings(gpu);

        var expectedY = new float[Rows * Cols];
        var expectedMean = new float[Rows];
        var expectedRstd = new float[Rows];
        for (int r = 0; r < Rows; r++)
        {
            var row = x.AsSpan(r * Cols, Cols).ToArray();
            double mean = row.Average(v => (double)v);
            double rstd = 1 / Math.Sqrt(row.Average(v => (v - mean) * (v - mean)) + Eps);
            expectedMean[r] = (float)mean;
            expectedRstd[r] = (float)rstd;
            for (int c = 0; c < Cols; c++)
                expectedY[r * Cols + c] = (float)((row[c] - mean) * rstd * gamma[c] + beta[c]);
        }
        // Sums of 300 terms in some order: ~1e-6 relative on μ (|μ| ≈ 2) and, through x − μ, on rstd
        // (rsqrtf adds 2 ulp); x̂ = (x − μ)·rstd (|x̂| ≤ ~2) carries that into y.
        AssertClose.Elementwise(expectedMean, dmean.Read(), $"{step}: mean", relative: 1e-6);
        AssertClose.Elementwise(expectedRstd, drstd.Read(), $"{step}: rstd", relative: 2e-6);
        AssertClose.Elementwise(expectedY, dy.Read(), $"{step}: y", absolute: 1e-5, relative: 1e-6);
    }
}
