using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary>
/// <c>mbarrier</c>, <c>cp.async.bulk</c> and <c>elect.sync</c> on the software GPU, from hand-written PTX:
/// phases complete when every arrival (and every announced transaction byte, delivered by bulk copies)
/// is in; a wait that can never complete is a deadlock report that says what the barrier is missing,
/// not a hang.
/// </summary>
public class MbarrierTests
{
    /// <summary>
    /// A kernel over 64 threads: thread 0 initializes the barrier for <paramref name="count"/> arrivals,
    /// then <paramref name="arrive"/> (each thread) and two waits: phase 0 by parity (try_wait), phase 1
    /// by the state its arrival returned (test_wait). out[tid] = state of arrival 1 + 10 · state of arrival 2.
    /// </summary>
    static string Kernel(int count, string arrive) => $$"""
        .version 8.4
        .target sm_90
        .address_size 64

        .shared .align 8 .b64 barrier_object;

        .visible .entry mbarrier_test(
        	.param .u64 mbarrier_test_param_0
        )
        {
        .reg .pred %p<4>;
        .reg .b32 %r<6>;
        .reg .b64 %rd<8>;
        ld.param.u64 %rd1, [mbarrier_test_param_0];
        cvta.to.global.u64 %rd1, %rd1;
        mov.u32 %r1, %tid.x;
        mov.u32 %r2, barrier_object;
        setp.ne.s32 %p1, %r1, 0;
        @%p1 bra $L__initialized;
        mbarrier.init.shared::cta.b64 [%r2], {{count}};
        $L__initialized:
        bar.sync 0;
        {{arrive}}
        $L__phase0:
        mbarrier.try_wait.parity.shared::cta.b64 %p2, [%r2], 0;
        @!%p2 bra $L__phase0;
        mbarrier.arrive.shared::cta.b64 %rd3, [%r2];
        $L__phase1:
        mbarrier.test_wait.shared::cta.b64 %p3, [%r2], %rd3;
        @!%p3 bra $L__phase1;
        mul.lo.s64 %rd4, %rd3, 10;
        add.s64 %rd4, %rd4, %rd2;
        mul.wide.u32 %rd5, %r1, 8;
        add.s64 %rd6, %rd1, %rd5;
        st.global.u64 [%rd6], %rd4;
        ret;
        }
        """;

    static CudaException? Run(SoftwareGpuDevice device, string ptx, out long[] states)
    {
        var kernel = Ptx.Load(device, "mbarrier_test", ptx);
        var output = device.Allocate(64 * 8);
        try
        {
            device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(output));
        }
        catch (CudaException e)
        {
            states = [];
            return e;
        }
        states = Ptx.Download<long>(device, output, 64);
        return null;
    }

    [Fact]
    public void EveryThreadPassesBothPhasesOnceAllHaveArrived()
    {
        // Thread 0 arrives first and waits; it can only go on once the other 63 have arrived.
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        Assert.Null(Run(device, Kernel(64, "mbarrier.arrive.shared::cta.b64 %rd2, [%r2];"), out var states));
        Assert.All(states, s => Assert.Equal(0 + 10 * 1, s));   // arrived in phase 0, then in phase 1
    }

    [Fact]
    public void AMissingArrivalIsADeadlockThatSaysSo()
    {
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var e = Run(device, Kernel(65, "mbarrier.arrive.shared::cta.b64 %rd2, [%r2];"), out _);
        Assert.NotNull(e);
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.Deadlock, report.Check);
        Assert.Contains("64 at an mbarrier wait", report.Message);
        Assert.Contains("1 of 65 arrival(s) and 0 transaction byte(s) still missing", report.Message);
        Assert.Contains("try_wait", report.Instruction);
    }

    [Fact]
    public void TransactionBytesThatNeverLandAreADeadlock()
    {
        // Every thread arrives, but announces 16 bytes that no bulk copy delivers.
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var e = Run(device, Kernel(64, "mbarrier.arrive.expect_tx.shared::cta.b64 %rd2, [%r2], 16;"), out _);
        Assert.NotNull(e);
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.Deadlock, report.Check);
        Assert.Contains("0 of 64 arrival(s) and 1024 transaction byte(s) still missing", report.Message);
    }

    [Fact]
    public void UsingABarrierNobodyInitializedIsReported()
    {
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var e = Run(device, Kernel(64, "mbarrier.arrive.shared::cta.b64 %rd2, [%r2];").Replace("mbarrier.init.shared::cta.b64 [%r2], 64;", ""), out _);
        Assert.NotNull(e);
        Assert.Contains("which no mbarrier.init set up", Assert.Single(device.Reports).Message);
    }

    /// <summary>
    /// Thread 0 announces <paramref name="bytes"/> on a one-arrival barrier and starts one bulk copy of them
    /// from global into a shared tile; every thread waits for phase 0, then copies tile word tid to out[tid].
    /// </summary>
    static string BulkCopyKernel(int bytes) => $$"""
        .version 8.4
        .target sm_90
        .address_size 64

        .shared .align 8 .b64 barrier_object;
        .shared .align 16 .b8 tile[256];

        .visible .entry bulk_test(
        	.param .u64 bulk_test_param_0,
        	.param .u64 bulk_test_param_1
        )
        {
        .reg .pred %p<4>;
        .reg .b32 %r<8>;
        .reg .b64 %rd<8>;
        ld.param.u64 %rd1, [bulk_test_param_0];
        ld.param.u64 %rd2, [bulk_test_param_1];
        cvta.to.global.u64 %rd1, %rd1;
        cvta.to.global.u64 %rd2, %rd2;
        mov.u32 %r1, %tid.x;
        mov.u32 %r2, barrier_object;
        mov.u32 %r3, tile;
        setp.ne.s32 %p1, %r1, 0;
        @%p1 bra $L__initialized;
        mbarrier.init.shared::cta.b64 [%r2], 1;
        $L__initialized:
        bar.sync 0;
        @%p1 bra $L__issued;
        mbarrier.arrive.expect_tx.shared::cta.b64 %rd3, [%r2], {{bytes}};
        cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%r3], [%rd1], {{bytes}}, [%r2];
        $L__issued:
        mbarrier.try_wait.parity.shared::cta.b64 %p2, [%r2], 0;
        @!%p2 bra $L__issued;
        shl.b32 %r4, %r1, 2;
        add.s32 %r5, %r3, %r4;
        ld.shared.u32 %r6, [%r5];
        mul.wide.u32 %rd4, %r1, 4;
        add.s64 %rd5, %rd2, %rd4;
        st.global.u32 [%rd5], %r6;
        ret;
        }
        """;

    [Fact]
    public void ABulkCopyCompletesThePhaseItWasAnnouncedTo()
    {
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "bulk_test", BulkCopyKernel(256));
        var source = Enumerable.Range(0, 64).Select(i => 1000 + 7 * i).ToArray();
        var input = Ptx.Upload(device, source);
        var output = device.Allocate(64 * 4);
        device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(input).Ptr(output));
        Assert.Equal(source, Ptx.Download<int>(device, output, 64));
    }

    [Fact]
    public void ABulkCopyOfAnOddSizeIsRejected()
    {
        using var device = new SoftwareGpuDevice(computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "bulk_test", BulkCopyKernel(100));
        var input = device.Allocate(256);
        Assert.Throws<CudaException>(() => device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(input).Ptr(device.Allocate(256))));
        var report = Assert.Single(device.Reports);
        Assert.Equal(SanitizerCheck.MisalignedAccess, report.Check);
        Assert.Contains("positive multiple of 16", report.Message);
    }

    [Fact]
    public void ElectChoosesTheLowestLaneOfTheMask()
    {
        // elect.sync over lanes 4..31 of each warp: lane 4 is the leader, every member learns it.
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true }, computeCapabilityMajor: 9);
        var kernel = Ptx.Load(device, "elect_test", Ptx.Module("elect_test", ".param .u64 elect_test_param_0", """
            .reg .pred %p<3>;
            .reg .b32 %r<6>;
            .reg .b64 %rd<5>;
            ld.param.u64 %rd1, [elect_test_param_0];
            cvta.to.global.u64 %rd1, %rd1;
            mov.u32 %r1, %tid.x;
            mov.u32 %r2, %laneid;
            mov.u32 %r3, -1;
            setp.lt.u32 %p1, %r2, 4;
            @%p1 bra $L__out;
            elect.sync %r3|%p2, 0xfffffff0;
            selp.u32 %r4, 100, 0, %p2;
            add.s32 %r3, %r3, %r4;
            $L__out:
            mul.wide.u32 %rd2, %r1, 4;
            add.s64 %rd3, %rd1, %rd2;
            st.global.u32 [%rd3], %r3;
            ret;
            """));
        var output = device.Allocate(64 * 4);
        device.Launch(kernel, 1, 64, 0, null, new KernelArgs().Ptr(output));
        var values = Ptx.Download<int>(device, output, 64);
        for (int t = 0; t < 64; t++)
            Assert.Equal(t % 32 < 4 ? -1 : t % 32 == 4 ? 104 : 4, values[t]);
    }
}
