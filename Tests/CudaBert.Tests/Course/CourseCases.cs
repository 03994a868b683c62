using CudaBert.Course;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.Course;

/// <summary>Theory data for the course tests: every device kind × every step of a progression (the backend's kernel included).</summary>
static class CourseCases
{
    public static TheoryData<string, int> For<TProblem>(IReadOnlyList<CourseStep<TProblem>> steps)
    {
        var cases = new TheoryData<string, int>();
        foreach (var device in new[] { TestDevices.Driver, TestDevices.Software })
            foreach (var step in steps)
                cases.Add(device, step.Number);
        return cases;
    }

    public static CourseStep<TProblem> Step<TProblem>(IReadOnlyList<CourseStep<TProblem>> steps, int number) =>
        steps.Single(step => step.Number == number);
}
