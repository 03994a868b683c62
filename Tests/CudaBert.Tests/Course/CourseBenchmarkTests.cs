using CudaBert.Course;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.Course;

/// <summary>
/// The course benchmark on the software GPU at tiny sizes: one row per step of every progression, each
/// with its instruction count and a clean sanitizer verdict, the backend's kernel last in its family.
/// </summary>
public class CourseBenchmarkTests
{
    [Fact]
    public void EveryStepOfEveryProgressionGetsARow()
    {
        using var gpu = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true });
        var tiny = new CourseSize((20, 24, 12), (3, 40), (3, 40), 700);

        var rows = new CourseBenchmark(gpu, tiny).Run();

        var expected = GemmCourse.Steps.Select(s => ("GEMM", s.Source))
            .Concat(SoftmaxCourse.Steps.Select(s => ("softmax", s.Source)))
            .Concat(LayerNormCourse.Steps.Select(s => ("layer norm", s.Source)))
            .Concat(SumCourse.Steps.Select(s => ("sum", s.Source)));
        Assert.Equal(expected, rows.Select(r => (r.Family, r.Source)));
        Assert.All(rows, r =>
        {
            Assert.True(r.Instructions > 0, $"{r.Source}: no instructions counted");
            Assert.Equal("clean", r.Sanitizer);
            Assert.Null(r.Milliseconds);
        });
        Assert.All(rows.Where(r => r.Backend), r => Assert.Equal(1.0, r.BackendRatio));

        var table = new StringWriter();
        CourseBenchmark.Print(rows, software: true, table);
        Assert.Contains("| GEMM       | 20×12 · 12×24", table.ToString());
        Assert.Contains("Kernels/course/softmax/3_warp_per_row_online.cu", table.ToString());
    }
}
