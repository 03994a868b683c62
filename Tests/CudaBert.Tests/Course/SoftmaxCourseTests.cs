using CudaBert.Course;
using CudaBert.Tests.BertKernels;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Course;

/// <summary>
/// Every step of the softmax progression (Kernels/course/softmax, then the backend's kernel) against a
/// float64 softmax: rows of 300 columns (not a multiple of a warp or a block) and of 20 (shorter than a
/// warp: lanes with no column at all).
/// </summary>
public class SoftmaxCourseTests
{
    const int Rows = 5;

    public static TheoryData<string, int> Cases => CourseCases.For(SoftmaxCourse.Steps);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesFloat64Softmax(string device, int stepNumber)
    {
        var step = CourseCases.Step(SoftmaxCourse.Steps, stepNumber);
        using var gpu = TestDevices.Open(device);
        foreach (int cols in new[] { 300, 20 })
        {
            float[] x = TestInputs.NonZero(16 + cols, Rows * cols, scale: 8f);
            using DeviceArray<float> dx = new(gpu, x), dy = new(gpu, Rows * cols);

            step.Launch(gpu, new SoftmaxProblem(Rows, cols, dx.Ptr, dy.Ptr));
            gpu.Synchronize();
            KernelAssert.NoSanitizerFindings(gpu);

            // __expf(t) is ex2.approx(t · log2 e). With t = x - max in [-16, 0]: rounding t · log2 e costs up
            // to 23 u in the exponent (~1e-6 relative in the result), ex2.approx ~2^-22 relative; the sum, the
            // online rescaling, the reciprocal and the product add a few u more. Allowed: 1e-5 relative.
            float[] y = dy.Read();
            for (int r = 0; r < Rows; r++)
            {
                var row = x.AsSpan(r * cols, cols).ToArray();
                double max = row.Max(), sum = row.Sum(v => Math.Exp(v - max));
                for (int c = 0; c < cols; c++)
                {
                    double expected = Math.Exp(row[c] - max) / sum;
                    AssertClose.Scalar(expected, y[r * cols + c], $"{step}, {cols} columns: y[{r}][{c}]", relative: 1e-5);
                }
            }
        }
    }
}
