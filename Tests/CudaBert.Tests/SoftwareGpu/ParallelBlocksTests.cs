using CudaBert.Course;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.Gemm;
using CudaBert.Tests.CudaDevice;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>Blocks on several cores give exactly what blocks in order give: memory, reports and faults.</summary>
public class ParallelBlocksTests
{
    /// <summary>Runs the tiled GEMM, the softmax, the cp.async copy and the histogram (atomics: kept in order) and returns their outputs.</summary>
    static (float[] Gemm, float[] Softmax, float[] Copy, uint[] Histogram) RunKernels(int parallelBlocks)
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, parallelBlocks);
        var a = Ptx.Upload(device, GemmReference.Random(48 * 48, 1));
        var b = Ptx.Upload(device, GemmReference.Random(48 * 48, 2));
        var c = Ptx.Upload(device, GemmReference.Random(48 * 48, 3));
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/gemm/2_shared_tiled"), "tiled_gemm"), new Dim3(3, 3), new Dim3(16, 16), 0, null,
            new KernelArgs().I32(48).I32(48).I32(48).F32(1.25f).Ptr(a).Ptr(b).F32(0.5f).Ptr(c));

        var x = Ptx.Upload(device, GemmReference.Random(8 * 300, 4));
        var y = device.Allocate(4 * 8 * 300);
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/softmax/2_block_per_row"), "softmax_rows"), 8, 64, 0, null, new KernelArgs().Ptr(x).Ptr(y).I32(300));

        var copied = device.Allocate(4 * 8 * 32 * 4);
        device.Launch(device.GetFunction(TestPtx.Modules.Load(device, "tests/cp_async_copy"), "cp_async_copy"), 3, 32, 2 * 32 * 16, null,
            new KernelArgs().Ptr(x).Ptr(copied).I32(8));

        var values = Ptx.Upload(device, Enumerable.Range(0, 2000).Select(i => (uint)(i * 7919 % 64)).ToArray());
        var bins = device.Allocate(4 * 64);
        device.Memset(bins, 0, 4 * 64);
        device.Launch(device.GetFunction(TestPtx.Modules.Load(device, "tests/histogram"), "histogram"), 4, 128, 4 * 64, null,
            new KernelArgs().Ptr(values).I64(2000).Ptr(bins).U32(64));

        return (Ptx.Download<float>(device, c, 48 * 48), Ptx.Download<float>(device, y, 8 * 300),
                Ptx.Download<float>(device, copied, 8 * 32 * 4), Ptx.Download<uint>(device, bins, 64));
    }

    [Fact]
    public void OutputsAreIdenticalToRunningBlocksInOrder()
    {
        var inOrder = RunKernels(1);
        var parallel = RunKernels(4);
        Assert.Equal(inOrder.Gemm, parallel.Gemm);
        Assert.Equal(inOrder.Softmax, parallel.Softmax);
        Assert.Equal(inOrder.Copy, parallel.Copy);
        Assert.Equal(inOrder.Histogram, parallel.Histogram);
    }

    [Fact]
    public void TheLowestFaultingBlockIsReportedWhateverTheTiming()
    {
        // 8 blocks of 16 threads over 100 elements: blocks 6 and 7 both run past the end; block 6 must be the one reported.
        foreach (int parallelBlocks in new[] { 1, 4 })
        {
            using var device = new SoftwareGpuDevice(parallelBlocks: parallelBlocks);
            var x = Ptx.Upload(device, GemmReference.Random(100, 5));
            var y = device.Allocate(4 * 100);
            var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/planted_bugs/out_of_bounds_write"), "out_of_bounds_write");
            Assert.Throws<CudaException>(() => device.Launch(kernel, 8, 16, 0, null, new KernelArgs().Ptr(x).Ptr(y).I32(112)));
            var report = Assert.Single(device.Reports);
            Assert.Equal(new Index3(6), report.Block);
            Assert.Equal(new Index3(4), report.Thread); // element 100 = block 6, thread 4
        }
    }
}
