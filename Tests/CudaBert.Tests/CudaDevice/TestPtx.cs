using CudaBert.Course;
using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// The PTX of the teaching and test kernels under Kernels/tests (planted sanitizer bugs included),
/// embedded in this test assembly rather than shipped (see CudaBert.Tests.csproj): "tests/vector_add", ...
/// </summary>
public static class TestPtx
{
    public static PtxModuleSet Modules { get; } = PtxModuleSet.Embedded(typeof(TestPtx).Assembly);

    /// <summary>Every set of modules there is: the shipped BERT kernels, the course's and the test kernels.</summary>
    public static IReadOnlyList<PtxModuleSet> EverySet { get; } = [PtxModules.Shipped, CoursePtx.Modules, Modules];
}
