using CudaBert.Course;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.CudaDevice;

/// <summary>
/// Where the PTX is: CudaBert.Kernels ships the BERT kernels only; the test kernels are embedded in this
/// test assembly (<see cref="TestPtx"/>). All built by NVRTC 12.4, for compute_80 except the Hopper-only kernels
/// (Kernels/hopper, compute_90a).
/// </summary>
public class PtxModulesTests
{
    /// <summary>Module → its kernels: the test sources under Kernels/tests (one kernel each).</summary>
    public static TheoryData<string, string> TestModules => new()
    {
        { "tests/vector_add", "vector_add" },
        { "tests/grid_stride", "saxpy_grid_stride" },
        { "tests/warp_reduce", "warp_reduce_sum" },
        { "tests/histogram", "histogram" },
        { "tests/mma_bf16_gemm", "mma_bf16_gemm" },
        { "tests/cp_async_copy", "cp_async_copy" },
        { "tests/planted_bugs/out_of_bounds_write", "out_of_bounds_write" },
        { "tests/planted_bugs/shared_race", "shared_race" },
        { "tests/planted_bugs/divergent_barrier", "divergent_barrier" },
    };

    [Theory, MemberData(nameof(TestModules))]
    public void ModuleIsEmbeddedPtx84ForSm80WithItsKernel(string module, string kernel)
    {
        Assert.Contains(module, TestPtx.Modules.Names);
        string ptx = TestPtx.Modules.Get(module);
        Assert.Equal(new PtxIsaVersion(8, 4), PtxIsaVersion.Parse(ptx, module));
        Assert.Contains(".target sm_80", ptx);
        Assert.Equal([kernel], PtxModules.KernelNames(ptx));   // extern "C": the name is not mangled
    }

    [Fact]
    public void ShippedAssemblyHoldsTheBertKernelsAndNoTestKernel()
    {
        Assert.Contains("bert/softmax", PtxModules.Names);
        Assert.Contains("hopper/gemm_wgmma_tf32", PtxModules.Names);
        Assert.All(PtxModules.Names, name => Assert.True(name.StartsWith("bert/") || name.StartsWith("hopper/"), name));
        Assert.All(TestPtx.Modules.Names, name => Assert.StartsWith("tests/", name));
        Assert.All(CoursePtx.Modules.Names, name => Assert.StartsWith("course/", name));
    }

    [Fact]
    public void UnknownModuleNamesTheAssemblyAndItsModules()
    {
        var error = Assert.Throws<ArgumentException>(() => TestPtx.Modules.Get("tests/no_such_kernel"));
        Assert.Contains("'tests/no_such_kernel'", error.Message);
        Assert.Contains("CudaBert.Tests", error.Message);
        Assert.Contains("tests/vector_add", error.Message);
        Assert.Throws<ArgumentException>(() => PtxModules.Get("tests/vector_add"));
    }

    [Fact]
    public void NamesAreSortedAndUseForwardSlashes()
    {
        foreach (var set in TestPtx.EverySet)
        {
            Assert.Equal(set.Names.Order(StringComparer.Ordinal), set.Names);
            Assert.All(set.Names, name => Assert.DoesNotContain('\\', name));
        }
    }

    [Fact]
    public void PtxTextLoadsUnderTheNameGiven()
    {
        using var gpu = new SoftwareGpuDevice();
        var module = PtxModules.LoadText(gpu, "text/vector_add", TestPtx.Modules.Get("tests/vector_add"));
        Assert.Equal("text/vector_add", module.Name);
        Assert.Equal("vector_add", gpu.GetFunction(module, "vector_add").Name);
    }
}
