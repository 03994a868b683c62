using CudaBert.Course;
using CudaBert.Kernels.Device;
using CudaBert.Kernels.Ptx;
using CudaBert.Kernels.SoftwareGpu;
using CudaBert.Tests.CudaDevice;
using CudaBert.Tests.Gemm;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>The planted-bug kernels are each reported with kernel, PTX line, block and thread; clean kernels report nothing.</summary>
public class SanitizerTests
{
    /// <summary>The 1-based line of the first PTX line containing <paramref name="text"/> at or after the line containing <paramref name="after"/>.</summary>
    static int LineOf(string ptx, string text, string? after = null)
    {
        var lines = ptx.Split('\n');
        int start = after is null ? 0 : Array.FindIndex(lines, l => l.Contains(after));
        return Array.FindIndex(lines, start, l => l.Contains(text)) + 1;
    }

    [Fact]
    public void OutOfBoundsWriteIsReportedAndFailsTheLaunch()
    {
        using var device = new SoftwareGpuDevice();
        const int n = 100;
        var x = Ptx.Upload(device, GemmReference.Random(n, 1));
        var y = device.Allocate(4 * n);
        var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/planted_bugs/out_of_bounds_write"), "out_of_bounds_write");

        var e = Assert.Throws<CudaException>(() => device.Launch(kernel, 1, 128, 0, null, new KernelArgs().Ptr(x).Ptr(y).I32(n)));

        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", e.ErrorName);
        Assert.Equal("out_of_bounds_write", e.Kernel);
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.GlobalOutOfBounds, report.Check);
        Assert.Equal("out_of_bounds_write", report.Kernel);
        Assert.Equal(new Index3(0), report.Block);
        Assert.Equal(new Index3(n), report.Thread);              // the thread with i == n
        var ptx = TestPtx.Modules.Get("tests/planted_bugs/out_of_bounds_write");
        Assert.Equal(LineOf(ptx, "ld.global.f32"), report.Line); // x[n] is read before y[n] is written
        Assert.Equal($"Read of 4 bytes at global address 0x{x.Address + 4 * n:x} is outside every live allocation " +
                     $"(offset {4 * n} of the {4 * n}-byte allocation at 0x{x.Address:x}, past its end)", report.Message);
    }

    [Fact]
    public void SharedRaceIsReportedWithBothThreads()
    {
        using var device = new SoftwareGpuDevice();
        const int block = 64;
        var x = Ptx.Upload(device, GemmReference.Random(block, 2));
        var partial = device.Allocate(4);
        var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/planted_bugs/shared_race"), "shared_race");

        device.Launch(kernel, 1, block, block * 4, null, new KernelArgs().Ptr(x).Ptr(partial));

        var races = device.Reports.Where(r => r.Check == SanitizerCheck.SharedRace).ToList();
        Assert.NotEmpty(races);
        var first = races[0];
        Assert.Equal("shared_race", first.Kernel);
        Assert.Equal(new Index3(0), first.Block);
        Assert.Matches(@"^(ld|st)\.shared\.f32 ", first.Instruction);
        Assert.Equal(LineOf(TestPtx.Modules.Get("tests/planted_bugs/shared_race"), first.Instruction.Split(' ')[0], after: "bar.sync"), first.Line);
        Assert.Matches(@"hazard on shared address 0x[0-9a-f]+ with thread \(\d+,0,0\)", first.Message);
        Assert.DoesNotContain(device.Reports, r => r.Check != SanitizerCheck.SharedRace);
    }

    [Fact]
    public void DivergentBarrierIsReportedWithTheThreadsThatNeverCame()
    {
        using var device = new SoftwareGpuDevice();
        var y = device.Allocate(4 * 64);
        var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/planted_bugs/divergent_barrier"), "divergent_barrier");

        device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(y));

        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.DivergentBarrier, report.Check);
        Assert.Equal("divergent_barrier", report.Kernel);
        Assert.Equal(LineOf(TestPtx.Modules.Get("tests/planted_bugs/divergent_barrier"), "bar.sync"), report.Line);
        Assert.EndsWith("32 thread(s) exited while 32 waited; exited: (32,0,0)-(63,0,0)", report.Message);
    }

    [Fact]
    public void CleanKernelsReportNothingEvenWithUninitializedReadChecks()
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true });
        var x = Ptx.Upload(device, GemmReference.Random(1024, 3));
        var y = device.Allocate(4 * 1024);
        var partial = device.Allocate(4 * 8);
        var counts = device.Allocate(4 * 8);

        device.Launch(device.GetFunction(TestPtx.Modules.Load(device, "tests/vector_add"), "vector_add"), 8, 128, 0, null,
            new KernelArgs().Ptr(x).Ptr(x).Ptr(y).I32(1024));
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/reduction/2_shared_tree"), "block_reduce_sum"), 4, 128, 128 * 4, null,
            new KernelArgs().Ptr(x).Ptr(partial).I32(1024));
        device.Launch(device.GetFunction(TestPtx.Modules.Load(device, "tests/warp_reduce"), "warp_reduce_sum"), 2, 128, 0, null,
            new KernelArgs().Ptr(x).Ptr(partial).Ptr(counts).I32(256));
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/softmax/2_block_per_row"), "softmax_rows"), 4, 128, 0, null,
            new KernelArgs().Ptr(x).Ptr(y).I32(256));
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/gemm/2_shared_tiled"), "tiled_gemm"), new Dim3(2, 2), new Dim3(16, 16), 0, null,
            new KernelArgs().I32(32).I32(32).I32(32).F32(1f).Ptr(x).Ptr(x).F32(0f).Ptr(y));
        device.Launch(device.GetFunction(CoursePtx.Modules.Load(device, "course/gemm/4_mma_tf32"), "gemm_mma_tf32"), 1, 128, 0, null,
            new KernelArgs().I32(16).I32(16).I32(16).F32(1f).Ptr(x).Ptr(x).F32(0f).Ptr(y));
        device.Launch(device.GetFunction(TestPtx.Modules.Load(device, "tests/cp_async_copy"), "cp_async_copy"), 2, 32, 2 * 32 * 16, null,
            new KernelArgs().Ptr(x).Ptr(y).I32(8));

        Assert.Empty(device.Reports);
    }

    [Fact]
    public void ReadOfNeverWrittenMemoryIsReportedWhenEnabled()
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true });
        var a = Ptx.Upload(device, GemmReference.Random(64, 4));
        var b = device.Allocate(4 * 64); // never written
        var c = device.Allocate(4 * 64);
        var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/vector_add"), "vector_add");

        device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(a).Ptr(b).Ptr(c).I32(64));

        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.UninitializedRead, report.Check);
        Assert.Equal(new Index3(0), report.Thread);
        Assert.Contains($"allocation at 0x{b.Address:x}", report.Message);
    }

    [Fact]
    public void BlockThatCanNeverPassABarrierIsADeadlock()
    {
        // Thread 0 waits at a named barrier for 64 threads; the block only has 32.
        using var device = new SoftwareGpuDevice();
        var e = LaunchFails(device, "stuck", threads: 32, body: """
            .reg .pred %p<2>;
            .reg .b32 %r<3>;
            mov.u32 %r1, %tid.x;
            setp.ne.s32 %p1, %r1, 0;
            @%p1 bra $L__exit;
            bar.sync 1, 64;
            $L__exit:
            ret;
            """);

        Assert.Equal("CUDA_ERROR_LAUNCH_TIMEOUT", e.ErrorName);
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.Deadlock, report.Check);
        Assert.Equal(14, report.Line);
        Assert.Equal(new Index3(0), report.Thread);
    }

    [Fact]
    public void ShuffleWithAnExitedMemberLaneIsReported()
    {
        using var device = new SoftwareGpuDevice();
        var e = LaunchFails(device, "early_exit", threads: 32, body: """
            .reg .pred %p<2>;
            .reg .b32 %r<4>;
            mov.u32 %r1, %tid.x;
            setp.eq.s32 %p1, %r1, 5;
            @%p1 bra $L__exit;
            shfl.sync.bfly.b32 %r2, %r1, 1, 31, -1;
            $L__exit:
            ret;
            """);

        Assert.Equal("CUDA_ERROR_ILLEGAL_INSTRUCTION", e.ErrorName);
        Assert.Contains("lane 5, which has exited", e.Message);
    }

    [Fact]
    public void SharedAccessPastTheBlocksSharedMemoryIsReported()
    {
        using var device = new SoftwareGpuDevice();
        var e = LaunchFails(device, "past_shared", threads: 17, body: """
            .reg .b32 %r<4>;
            .shared .align 4 .b8 tile[64];
            mov.u32 %r1, %tid.x;
            shl.b32 %r2, %r1, 2;
            mov.u32 %r3, tile;
            add.s32 %r3, %r3, %r2;
            st.shared.u32 [%r3], %r1;
            ret;
            """);

        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", e.ErrorName);
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.SharedOutOfBounds, report.Check);
        Assert.Equal(new Index3(16), report.Thread);
        Assert.Equal(15, report.Line);
    }

    [Fact]
    public void UseAfterFreeIsAnOutOfBoundsAccess()
    {
        using var device = new SoftwareGpuDevice();
        var a = Ptx.Upload(device, GemmReference.Random(32, 5));
        var c = device.Allocate(4 * 32);
        device.Free(a);
        var kernel = device.GetFunction(TestPtx.Modules.Load(device, "tests/vector_add"), "vector_add");

        var e = Assert.Throws<CudaException>(() => device.Launch(kernel, 1, 32, 0, null, new KernelArgs().Ptr(a).Ptr(c).Ptr(c).I32(32)));

        Assert.Equal("CUDA_ERROR_ILLEGAL_ADDRESS", e.ErrorName);
        Assert.Equal(SanitizerCheck.GlobalOutOfBounds, Assert.Single(device.Reports).Check);
    }

    [Fact]
    public void SpinWaitingOnAnotherThreadIsStoppedAndReported()
    {
        // Thread 1 spins until thread 0 sets a shared flag, but thread 0 only sets it after a
        // barrier thread 1 never reaches: the interpreter must not hang.
        using var device = new SoftwareGpuDevice(new SanitizerOptions { MaxInstructionsWithoutSync = 10_000 });
        var e = LaunchFails(device, "spin", threads: 2, body: """
            .reg .pred %p<3>;
            .reg .b32 %r<4>;
            .shared .align 4 .u32 flag;
            mov.u32 %r1, %tid.x;
            setp.eq.s32 %p1, %r1, 0;
            @%p1 bra $L__setter;
            $L__spin:
            ld.volatile.shared.u32 %r2, [flag];
            setp.eq.s32 %p2, %r2, 0;
            @%p2 bra $L__spin;
            ret;
            $L__setter:
            bar.sync 0;
            st.volatile.shared.u32 [flag], 1;
            ret;
            """);
        Assert.Equal("CUDA_ERROR_LAUNCH_TIMEOUT", e.ErrorName);
        var report = Assert.Single(device.Reports);
        Assert.Equal(new Index3(1), report.Thread);
        Assert.Contains("without reaching a barrier", report.Message);
    }

    /// <summary>
    /// Loads a hand-written kernel <paramref name="name"/> (one unused pointer parameter, then
    /// <paramref name="body"/>), launches one block of <paramref name="threads"/> threads and returns the launch's failure.
    /// </summary>
    static CudaException LaunchFails(SoftwareGpuDevice device, string name, int threads, string body)
    {
        var kernel = Ptx.Load(device, name, Ptx.Module(name, $".param .u64 {name}_param_0", body));
        return Assert.Throws<CudaException>(() => device.Launch(kernel, 1, threads, 0, null, new KernelArgs().Ptr(DevicePtr.Null)));
    }
}
