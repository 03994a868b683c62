using CudaBert.Kernels.Device;
using CudaBert.Kernels.SoftwareGpu;

namespace CudaBert.Tests.SoftwareGpu;

/// <summary><c>shfl.sync</c> and <c>vote.sync</c> against CUDA's documented intrinsic semantics; atomics against sequential C#.</summary>
public class WarpAndAtomicTests
{
    const int Threads = 256;
    static readonly uint[] LaneValues = Enumerable.Range(0, Threads).Select(i => (uint)(i * 2654435761u)).ToArray();

    /// <summary>shfl with a uniform b and c; returns d | p &lt;&lt; 32 per thread.</summary>
    static ulong[] Shuffle(string mode, uint b, uint c) => OneInstruction.Run($"""
        cvt.u32.u64 %r4, %rd7;
        cvt.u32.u64 %r5, %rd8;
        cvt.u32.u64 %r6, %rd9;
        shfl.sync.{mode}.b32 %r7|%p1, %r4, %r5, %r6, -1;
        selp.b32 %r8, 1, 0, %p1;
        mov.b64 %rd10, {"{"}%r7, %r8{"}"};
        """, OneInstruction.Bits(LaneValues), Enumerable.Repeat((ulong)b, Threads).ToArray(), Enumerable.Repeat((ulong)c, Threads).ToArray());

    /// <summary>__shfl_*_sync(mask, v, delta/laneMask/srcLane, width) as the CUDA programming guide defines them.</summary>
    [Theory]
    [InlineData("up", 1u, 32), InlineData("up", 3u, 8), InlineData("down", 1u, 32), InlineData("down", 5u, 16)]
    [InlineData("bfly", 16u, 32), InlineData("bfly", 2u, 4), InlineData("idx", 7u, 32), InlineData("idx", 9u, 8)]
    public void ShuffleMatchesTheCudaIntrinsics(string mode, uint b, int width)
    {
        // CUDA encodes width in c's segment mask (bits 8-12); the clamp is 0 for up, 31 otherwise.
        uint c = ((uint)(32 - width) << 8) | (mode == "up" ? 0u : 0x1Fu);
        var r = Shuffle(mode, b, c);
        for (int t = 0; t < Threads; t++)
        {
            int lane = t & 31, segmentStart = lane / width * width;
            int source = mode switch
            {
                "up" => lane - (int)b >= segmentStart ? lane - (int)b : lane,
                "down" => lane + (int)b < segmentStart + width ? lane + (int)b : lane,
                "bfly" => (lane ^ (int)b) < segmentStart + width ? lane ^ (int)b : lane,
                _ => segmentStart + (int)b % width,
            };
            bool valid = mode == "idx" || source != lane || b == 0;
            Assert.Equal(LaneValues[t - lane + source], (uint)r[t]);
            Assert.Equal(valid ? 1u : 0u, (uint)(r[t] >> 32));
        }
    }

    [Fact]
    public void VoteReducesPredicatesOverTheWarp()
    {
        // Predicate: bit 0 of the lane value; warp 0 all true, warp 1 all false, others mixed.
        var bits = LaneValues.Select((v, t) => t < 32 ? 1u : t < 64 ? 0u : v & 1).ToArray();
        var r = OneInstruction.Run("""
            cvt.u32.u64 %r4, %rd7;
            and.b32 %r5, %r4, 1;
            setp.ne.s32 %p1, %r5, 0;
            vote.sync.ballot.b32 %r6, %p1, -1;
            vote.sync.all.pred %p2, %p1, -1;
            vote.sync.any.pred %p3, !%p1, -1;
            vote.sync.uni.pred %p4, %p1, -1;
            selp.b32 %r7, 1, 0, %p2;
            selp.b32 %r8, 2, 0, %p3;
            selp.b32 %r9, 4, 0, %p4;
            or.b32 %r10, %r7, %r8;
            or.b32 %r10, %r10, %r9;
            mov.b64 %rd10, {%r6, %r10};
            """, OneInstruction.Bits(bits));
        for (int t = 0; t < Threads; t++)
        {
            int warp = t / 32;
            uint ballot = 0;
            for (int l = 0; l < 32; l++) ballot |= bits[warp * 32 + l] << l;
            uint flags = (ballot == uint.MaxValue ? 1u : 0) | (ballot != uint.MaxValue ? 2u : 0) | (ballot is 0 or uint.MaxValue ? 4u : 0);
            Assert.Equal(ballot, (uint)r[t]);
            Assert.Equal(flags, (uint)(r[t] >> 32));
        }
    }

    [Theory]
    [InlineData("add.u32"), InlineData("min.s32"), InlineData("max.u32"), InlineData("and.b32"), InlineData("or.b32"), InlineData("xor.b32")]
    public void ReduxCombinesTheMemberLanes(string op)
    {
        // Lanes 0-15 and 16-31 reduce separately (two member masks).
        var r = OneInstruction.Run($"""
            cvt.u32.u64 %r4, %rd7;
            mov.u32 %r5, %laneid;
            setp.lt.u32 %p1, %r5, 16;
            selp.b32 %r6, 0x0000FFFF, 0xFFFF0000, %p1;
            redux.sync.{op} %r7, %r4, %r6;
            cvt.u64.u32 %rd10, %r7;
            """, OneInstruction.Bits(LaneValues));
        for (int t = 0; t < Threads; t++)
        {
            var half = LaneValues.Skip(t / 16 * 16).Take(16).ToArray();
            uint expected = op switch
            {
                "add.u32" => half.Aggregate(0u, (x, y) => x + y),
                "min.s32" => (uint)half.Min(v => (int)v),
                "max.u32" => half.Max(),
                "and.b32" => half.Aggregate(uint.MaxValue, (x, y) => x & y),
                "or.b32" => half.Aggregate(0u, (x, y) => x | y),
                _ => half.Aggregate(0u, (x, y) => x ^ y),
            };
            Assert.Equal(expected, (uint)r[t]);
        }
    }

    [Fact]
    public void BarrierReductionsCountAndCombinePredicatesOfTheBlock()
    {
        // __syncthreads_count / _and / _or over "lane value is odd" for blocks of 256 threads.
        var r = OneInstruction.Run("""
            cvt.u32.u64 %r4, %rd7;
            and.b32 %r5, %r4, 1;
            setp.ne.s32 %p1, %r5, 0;
            bar.red.popc.u32 %r6, 0, %p1;
            bar.red.and.pred %p2, 0, %p1;
            bar.red.or.pred %p3, 0, !%p1;
            selp.b32 %r7, 1, 0, %p2;
            selp.b32 %r8, 1, 0, %p3;
            shl.b32 %r8, %r8, 1;
            or.b32 %r7, %r7, %r8;
            mov.b64 %rd10, {%r6, %r7};
            """, OneInstruction.Bits(LaneValues));
        uint odd = (uint)LaneValues.Count(v => (v & 1) != 0);
        uint flags = (odd == Threads ? 1u : 0) | (odd < Threads ? 2u : 0);
        Assert.All(r, v => Assert.Equal(((ulong)flags << 32) | odd, v));
    }

    /// <summary>Every thread of two blocks applies one atomic to one word; blocks and threads run in index order, so even order-dependent results are fixed.</summary>
    [Theory]
    [InlineData("add.u32", 5u), InlineData("min.s32", 0u), InlineData("max.u32", 0u), InlineData("inc.u32", 100u), InlineData("dec.u32", 100u)]
    [InlineData("and.b32", 0u), InlineData("or.b32", 0u), InlineData("xor.b32", 0u), InlineData("exch.b32", 0u), InlineData("add.f32", 0u)]
    public void GlobalAtomicsMatchSequentialExecution(string op, uint initial)
    {
        var ptx = Ptx.Module("atomic", ".param .u64 atomic_param_0,\n.param .u64 atomic_param_1", $"""
            .reg .b32 %r<8>;
            .reg .b64 %rd<8>;
            ld.param.u64 %rd1, [atomic_param_0];
            ld.param.u64 %rd2, [atomic_param_1];
            cvta.to.global.u64 %rd3, %rd1;
            cvta.to.global.u64 %rd4, %rd2;
            mov.u32 %r1, %ctaid.x;
            mov.u32 %r2, %ntid.x;
            mov.u32 %r3, %tid.x;
            mad.lo.s32 %r4, %r1, %r2, %r3;
            mul.wide.u32 %rd5, %r4, 4;
            add.s64 %rd6, %rd4, %rd5;
            ld.global.u32 %r5, [%rd6];
            atom.global.{op} %r6, [%rd3], %r5;
            st.global.u32 [%rd6], %r6;
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var rng = new Random(7);
        bool isFloat = op.EndsWith("f32");
        var operands = Enumerable.Range(0, 2 * Threads).Select(_ => isFloat ? BitConverter.SingleToUInt32Bits((float)rng.NextDouble()) : (uint)rng.Next() ^ (uint)rng.Next(2) << 31).ToArray();
        var word = Ptx.Upload(device, new[] { initial });
        var values = Ptx.Upload(device, operands);
        device.Launch(Ptx.Load(device, "atomic", ptx), 2, Threads, 0, null, new KernelArgs().Ptr(word).Ptr(values));
        var olds = Ptx.Download<uint>(device, values, 2 * Threads);
        uint final = Ptx.Download<uint>(device, word, 1)[0];

        uint current = initial;
        for (int i = 0; i < operands.Length; i++)
        {
            uint b = operands[i];
            Assert.Equal(current, olds[i]);
            current = op switch
            {
                "add.u32" => current + b,
                "min.s32" => (uint)Math.Min((int)current, (int)b),
                "max.u32" => Math.Max(current, b),
                "inc.u32" => current >= b ? 0 : current + 1,
                "dec.u32" => current == 0 || current > b ? b : current - 1,
                "and.b32" => current & b,
                "or.b32" => current | b,
                "xor.b32" => current ^ b,
                "exch.b32" => b,
                _ => BitConverter.SingleToUInt32Bits(BitConverter.UInt32BitsToSingle(current) + BitConverter.UInt32BitsToSingle(b)),
            };
        }
        Assert.Equal(current, final);
    }

    [Fact]
    public void CompareAndSwapOnSharedMemoryHandsOutATicketPerThread()
    {
        // Each thread spins: old = cas(counter, expected, expected + 1) until it wins; its ticket is the value it won with.
        var ptx = Ptx.Module("tickets", ".param .u64 tickets_param_0", """
            .reg .pred %p<2>;
            .reg .b32 %r<8>;
            .reg .b64 %rd<4>;
            .shared .align 4 .u32 counter;
            ld.param.u64 %rd1, [tickets_param_0];
            cvta.to.global.u64 %rd1, %rd1;
            mov.u32 %r1, %tid.x;
            setp.ne.s32 %p1, %r1, 0;
            @%p1 bra $L__wait;
            st.shared.u32 [counter], 0;
            $L__wait:
            bar.sync 0;
            ld.shared.u32 %r2, [counter];
            $L__retry:
            add.s32 %r3, %r2, 1;
            atom.shared.cas.b32 %r4, [counter], %r2, %r3;
            setp.ne.s32 %p1, %r4, %r2;
            mov.u32 %r2, %r4;
            @%p1 bra $L__retry;
            mul.wide.u32 %rd2, %r1, 4;
            add.s64 %rd3, %rd1, %rd2;
            st.global.u32 [%rd3], %r4;
            ret;
            """);
        using var device = new SoftwareGpuDevice(new SanitizerOptions { ThrowOnReport = true });
        var tickets = device.Allocate(4 * 64);
        device.Launch(Ptx.Load(device, "tickets", ptx), 1, 64, 0, null, new KernelArgs().Ptr(tickets));
        Assert.Equal(Enumerable.Range(0, 64).Select(i => (uint)i), Ptx.Download<uint>(device, tickets, 64));
    }
}
