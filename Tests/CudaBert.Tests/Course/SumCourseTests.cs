using CudaBert.Course;
using CudaBert.Tests.BertKernels;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Course;

/// <summary>
/// Every step of the reduction progression (Kernels/course/reduction, then the backend's sum) against
/// the exact sum: 1000 elements (two levels of the shared-memory tree, a partial last block) and 77
/// (one block, a partial warp).
/// </summary>
public class SumCourseTests
{
    public static TheoryData<string, int> Cases => CourseCases.For(SumCourse.Steps);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesTheExactSum(string device, int stepNumber)
    {
        var step = CourseCases.Step(SumCourse.Steps, stepNumber);
        using var gpu = TestDevices.Open(device);
        foreach (int n in new[] { 1000, 77 })
        {
            float[] x = TestInputs.NonZero(40 + n, n);
            using DeviceArray<float> dx = new(gpu, x), total = new(gpu, 1);
            using DeviceArray<byte> workspace = new(gpu, (int)SumCourse.WorkspaceBytes(n));

            step.Launch(gpu, new SumProblem(n, dx.Ptr, total.Ptr, workspace.Ptr));
            gpu.Synchronize();
            KernelAssert.NoSanitizerFindings(gpu);

            // n − 1 float additions in any order: |error| ≤ (n − 1) u Σ|x| (about 0.03 for n = 1000, less
            // than the smallest element, 0.1: a lost or doubled element fails).
            double exact = x.Sum(v => (double)v), magnitude = x.Sum(v => Math.Abs((double)v));
            AssertClose.Scalar(exact, total.Read()[0], $"{step}, n = {n}: total", absolute: (n - 1) * TestInputs.U * magnitude);
        }
    }
}
