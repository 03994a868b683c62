using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary><c>cp.async</c> group semantics: bytes land when a wait retires their group, not before; src-size zero-fills.</summary>
public class AsyncCopyTests
{
    [Fact]
    public void CopiesLandOnlyWhenTheirGroupIsWaitedFor()
    {
        // Two groups of one 16-byte copy each. Reads of the destinations: before any wait, after
        // wait_group 1 (the older group landed) and after wait_group 0 (both). The second copy
        // reads only 8 source bytes (src-size 8): the rest of its destination is zero-filled.
        var ptx = Ptx.Module("groups", ".param .u64 groups_param_0,\n.param .u64 groups_param_1", """
            .reg .b32 %r<16>;
            .reg .b64 %rd<4>;
            .shared .align 16 .b8 buffer[32];
            ld.param.u64 %rd1, [groups_param_0];
            ld.param.u64 %rd2, [groups_param_1];
            mov.u32 %r1, buffer;
            st.shared.v4.u32 [%r1], {%r0, %r0, %r0, %r0};
            st.shared.v4.u32 [%r1+16], {%r0, %r0, %r0, %r0};
            cp.async.ca.shared.global [%r1], [%rd1], 16;
            cp.async.commit_group;
            cp.async.cg.shared.global [%r1+16], [%rd1+16], 16, 8;
            cp.async.commit_group;
            ld.shared.u32 %r2, [%r1];
            ld.shared.u32 %r3, [%r1+16];
            cp.async.wait_group 1;
            ld.shared.u32 %r4, [%r1];
            ld.shared.u32 %r5, [%r1+16];
            cp.async.wait_group 0;
            ld.shared.u32 %r6, [%r1+16];
            ld.shared.u32 %r7, [%r1+28];
            st.global.v4.u32 [%rd2], {%r2, %r3, %r4, %r5};
            st.global.v2.u32 [%rd2+16], {%r6, %r7};
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var source = Ptx.Upload(device, Enumerable.Range(1, 8).Select(i => (uint)(i * 1000)).ToArray());
        var result = device.Allocate(4 * 6);
        device.Launch(Ptx.Load(device, "groups", ptx), 1, 1, 0, null, new KernelArgs().Ptr(source).Ptr(result));
        Assert.Equal([0u, 0u, 1000u, 0u, 5000u, 0u], Ptx.Download<uint>(device, result, 6));
    }
}
