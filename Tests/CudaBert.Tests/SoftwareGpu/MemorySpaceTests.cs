using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>State spaces beyond plain global loads: module variables, generic addresses into shared and local memory, alignment faults.</summary>
public class MemorySpaceTests
{
    [Fact]
    public void ModuleConstAndGlobalVariablesAreInitializedAndShared()
    {
        // table = {10, 20, 30, 40} in .const; counter in .global starts at 5; each thread adds table[tid % 4] to it.
        var ptx = """
            .version 7.8
            .target sm_80
            .address_size 64

            .const .align 4 .b8 table[16] = {10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40, 0, 0, 0};
            .global .align 4 .u32 counter = 5;

            .visible .entry sum_table(
            	.param .u64 sum_table_param_0
            )
            {
            	.reg .pred %p<2>;
            	.reg .b32 %r<8>;
            	.reg .b64 %rd<8>;
            	ld.param.u64 %rd1, [sum_table_param_0];
            	mov.u32 %r1, %tid.x;
            	and.b32 %r2, %r1, 3;
            	mul.wide.u32 %rd2, %r2, 4;
            	mov.u64 %rd3, table;
            	add.s64 %rd4, %rd3, %rd2;
            	ld.const.u32 %r3, [%rd4];
            	atom.global.add.u32 %r4, [counter], %r3;
            	bar.sync 0;
            	setp.ne.s32 %p1, %r1, 0;
            	@%p1 bra $L__done;
            	ld.global.u32 %r5, [counter];
            	st.global.u32 [%rd1], %r5;
            $L__done:
            	ret;
            }
            """;
        using var device = new SoftwareGpuDevice(new SanitizerOptions { CheckUninitializedReads = true, ThrowOnReport = true });
        var result = device.Allocate(4);
        device.Launch(Ptx.Load(device, "sum_table", ptx), 1, 64, 0, null, new KernelArgs().Ptr(result));
        Assert.Equal(5u + 16 * (10 + 20 + 30 + 40), Ptx.Download<uint>(device, result, 1)[0]);
    }

    [Fact]
    public void GenericAddressesReachSharedAndLocalMemory()
    {
        // Thread t writes t+1 to shared[t] and 100+t to a local slot, both through generic
        // pointers from cvta; after the barrier it reads its neighbour's shared value generically.
        var ptx = Ptx.Module("generic", ".param .u64 generic_param_0", """
            .reg .b32 %r<10>;
            .reg .b64 %rd<12>;
            .shared .align 4 .b8 cells[256];
            .local .align 4 .b8 depot[16];
            ld.param.u64 %rd1, [generic_param_0];
            cvta.to.global.u64 %rd1, %rd1;
            mov.u32 %r1, %tid.x;
            mov.u64 %rd2, cells;
            cvta.shared.u64 %rd3, %rd2;
            mul.wide.u32 %rd4, %r1, 4;
            add.s64 %rd5, %rd3, %rd4;
            add.s32 %r2, %r1, 1;
            st.u32 [%rd5], %r2;
            mov.u64 %rd6, depot;
            cvta.local.u64 %rd7, %rd6;
            add.s32 %r3, %r1, 100;
            st.u32 [%rd7+8], %r3;
            bar.sync 0;
            add.s32 %r4, %r1, 1;
            and.b32 %r4, %r4, 63;
            mul.wide.u32 %rd8, %r4, 4;
            add.s64 %rd9, %rd3, %rd8;
            ld.u32 %r5, [%rd9];
            ld.local.u32 %r6, [depot+8];
            mul.lo.s32 %r7, %r6, 1000;
            add.s32 %r8, %r7, %r5;
            add.s64 %rd10, %rd1, %rd4;
            st.global.u32 [%rd10], %r8;
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var output = device.Allocate(4 * 64);
        device.Launch(Ptx.Load(device, "generic", ptx), 1, 64, 0, null, new KernelArgs().Ptr(output));
        // local slot: 100 + t; the neighbour's shared cell: (t + 1) % 64 + 1.
        Assert.Equal(Enumerable.Range(0, 64).Select(t => (uint)((100 + t) * 1000 + (t + 1) % 64 + 1)), Ptx.Download<uint>(device, output, 64));
    }

    [Fact]
    public void MisalignedAccessFailsTheLaunch()
    {
        var ptx = Ptx.Module("misaligned", ".param .u64 misaligned_param_0", """
            .reg .b32 %r<2>;
            .reg .b64 %rd<3>;
            ld.param.u64 %rd1, [misaligned_param_0];
            cvta.to.global.u64 %rd2, %rd1;
            ld.global.u32 %r1, [%rd2+2];
            ret;
            """);
        using var device = new SoftwareGpuDevice();
        var buffer = device.Allocate(16);
        device.Memset(buffer, 1, 16);
        var e = Assert.Throws<CudaException>(() => device.Launch(Ptx.Load(device, "misaligned", ptx), 1, 1, 0, null, new KernelArgs().Ptr(buffer)));
        Assert.Equal("CUDA_ERROR_MISALIGNED_ADDRESS", e.ErrorName);
        Assert.Equal(SanitizerCheck.MisalignedAccess, Assert.Single(device.Reports).Check);
    }

    [Fact]
    public void BytesInUseFollowsAllocationsAndFrees()
    {
        using var device = new SoftwareGpuDevice();
        var a = device.Allocate(1000);
        var b = device.Allocate(24);
        Assert.Equal(1024, device.BytesInUse);
        device.Free(a);
        Assert.Equal(24, device.BytesInUse);
        Assert.Throws<CudaException>(() => device.Free(a)); // double free names the pointer
        device.Free(b);
        Assert.Equal(0, device.BytesInUse);
    }
}

