using CudaBert.Kernels.Ptx;

namespace CudaBert.Tests.CudaDevice;

/// <summary>The PTX embedded in CudaBert.Kernels: every test kernel is there, built by NVRTC 11.8 for compute_80.</summary>
public class PtxModulesTests
{
    /// <summary>Module → its kernels: the test sources under Kernels/tests (one kernel each).</summary>
    public static TheoryData<string, string> TestModules => new()
    {
        { "tests/vector_add", "vector_add" },
        { "tests/grid_stride", "saxpy_grid_stride" },
        { "tests/block_reduce", "block_reduce_sum" },
        { "tests/warp_reduce", "warp_reduce_sum" },
        { "tests/histogram", "histogram" },
        { "tests/tiled_gemm", "tiled_gemm" },
        { "tests/mma_tf32_gemm", "mma_tf32_gemm" },
        { "tests/mma_bf16_gemm", "mma_bf16_gemm" },
        { "tests/cp_async_copy", "cp_async_copy" },
        { "tests/softmax", "softmax_rows" },
        { "tests/planted_bugs/out_of_bounds_write", "out_of_bounds_write" },
        { "tests/planted_bugs/shared_race", "shared_race" },
        { "tests/planted_bugs/divergent_barrier", "divergent_barrier" },
    };

    [Theory, MemberData(nameof(TestModules))]
    public void ModuleIsEmbeddedPtx78ForSm80WithItsKernel(string module, string kernel)
    {
        Assert.Contains(module, PtxModules.Names);
        string ptx = PtxModules.Get(module);
        Assert.Equal(new PtxIsaVersion(7, 8), PtxIsaVersion.Parse(ptx, module));
        Assert.Contains(".target sm_80", ptx);
        Assert.Equal([kernel], PtxModules.KernelNames(ptx));   // extern "C": the name is not mangled
    }

    [Fact]
    public void UnknownModuleNamesTheEmbeddedOnes()
    {
        var error = Assert.Throws<ArgumentException>(() => PtxModules.Get("tests/no_such_kernel"));
        Assert.Contains("'tests/no_such_kernel'", error.Message);
        Assert.Contains("tests/vector_add", error.Message);
    }

    [Fact]
    public void NamesAreSortedAndUseForwardSlashes()
    {
        Assert.Equal(PtxModules.Names.Order(StringComparer.Ordinal), PtxModules.Names);
        Assert.All(PtxModules.Names, name => Assert.DoesNotContain('\\', name));
    }
}
