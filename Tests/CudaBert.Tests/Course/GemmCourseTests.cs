using CudaBert.Course;
using CudaBert.Tests.BertKernels;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Course;

/// <summary>
/// Every step of the GEMM progression (Kernels/course/gemm, then the backend's kernels) against a float64
/// reference, on a shape that is a multiple of no tile: M = 37 (not of 16 or 64), N = 44 (not of 8, 16 or
/// 64; a multiple of 4, which the backend's TF32 kernel needs), K = 36 (not of 8 or 16).
/// </summary>
public class GemmCourseTests
{
    const int M = 37, N = 44, K = 36;
    const float Alpha = 0.75f, Beta = -0.5f;

    public static TheoryData<string, int> Cases => CourseCases.For(GemmCourse.Steps);

    [Theory, MemberData(nameof(Cases))]
    public void MatchesFloat64Gemm(string device, int stepNumber)
    {
        var step = CourseCases.Step(GemmCourse.Steps, stepNumber);
        using var gpu = TestDevices.Open(device);
        float[] a = TestInputs.NonZero(8, M * K), b = TestInputs.NonZero(9, K * N), c = TestInputs.NonZero(10, M * N);
        using DeviceArray<float> da = new(gpu, a), db = new(gpu, b), dc = new(gpu, c);

        step.Launch(gpu, new GemmProblem(M, N, K, Alpha, da.Ptr, db.Ptr, Beta, dc.Ptr));
        gpu.Synchronize();
        KernelAssert.NoSanitizerFindings(gpu);

        // The reference multiplies what the kernel multiplies: the tensor-core steps round A and B to tf32
        // first, and those products are exact in float64. Then K fused multiply-adds and the epilogue: at
        // most K + 2 float32 roundings on any path, |error| ≤ (K + 2) u (|alpha| Σ_k |a||b| + |beta c|).
        // A misplaced element or fragment gives errors of the order of |a||b| ≥ 0.01.
        Func<float, float> input = step.Tf32 ? TestInputs.RoundToTf32 : x => x;
        float[] result = dc.Read();
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double dot = 0, magnitude = 0;
                for (int k = 0; k < K; k++)
                {
                    double product = (double)input(a[i * K + k]) * input(b[k * N + j]);
                    dot += product;
                    magnitude += Math.Abs(product);
                }
                double expected = Alpha * dot + Beta * (double)c[i * N + j];
                double bound = (K + 2) * TestInputs.U * (Math.Abs(Alpha) * magnitude + Math.Abs(Beta * c[i * N + j]));
                AssertClose.Scalar(expected, result[i * N + j], $"{step}: C[{i}][{j}]", absolute: bound);
            }
    }
}
